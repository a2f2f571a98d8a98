using AlignStream.Engine.Blas;

namespace AlignStream.Engine.Tests.Kernels;

/// <summary>GEMM against a float64 triple loop for every transpose combination, both backends.</summary>
[Collection("Gemm")]
public sealed class GemmTests
{
    private static void Naive(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = ta ? a[(p * lda) + i] : a[(i * lda) + p];
                    var bv = tb ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    s += (double)av * bv;
                }
                c[(i * ldc) + j] = (float)((alpha * s) + (beta == 0 ? 0 : beta * c[(i * ldc) + j]));
            }
        }
    }

    public static TheoryData<GemmBackend, int> Cases()
    {
        var d = new TheoryData<GemmBackend, int>();
        foreach (var b in new[] { GemmBackend.Auto, GemmBackend.Managed, GemmBackend.OpenBlas })
        {
            foreach (var t in new[] { 1, 2 })
            {
                d.Add(b, t);
            }
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_naive_for_all_transposes_and_odd_shapes(GemmBackend backend, int threads)
    {
        var rng = new Random(11);
        Gemm.Configure(backend, threads);
        try
        {
            // The last two exceed the split threshold (2^21 multiply-adds): one splits by rows, one by columns.
            int[][] shapes = [[0, 3, 4], [1, 1, 1], [3, 0, 2], [2, 5, 0], [4, 37, 19], [7, 9, 13], [33, 17, 65], [64, 48, 256], [130, 70, 31], [200, 150, 96], [40, 300, 256]];
            foreach (var s in shapes)
            {
                var (m, n, k) = (s[0], s[1], s[2]);
                foreach (var ta in new[] { false, true })
                {
                    foreach (var tb in new[] { false, true })
                    {
                        var lda = (ta ? m : k) + 3;
                        var ldb = (tb ? k : n) + 1;
                        var ldc = n + 2;
                        var a = TestData.Random(rng, ((ta ? k : m) * lda) + 1);
                        var b = TestData.Random(rng, ((tb ? n : k) * ldb) + 1);
                        var c0 = TestData.Random(rng, (m * ldc) + 1);
                        var expected = (float[])c0.Clone();
                        var actual = (float[])c0.Clone();
                        Naive(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, expected, ldc);
                        Gemm.Sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, actual, ldc);
                        TestData.AssertClose(actual, expected, 1e-4, 1e-4, $"{backend} m{m} n{n} k{k} ta{ta} tb{tb}");
                    }
                }
            }
        }
        finally
        {
            Gemm.Configure(GemmBackend.Auto, 1);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_bit_identical_run_to_run(GemmBackend backend, int threads)
    {
        var rng = new Random(5);
        Gemm.Configure(backend, threads);
        try
        {
            int m = 257, n = 190, k = 300;
            var a = TestData.Random(rng, m * k);
            var b = TestData.Random(rng, n * k);
            var first = new float[m * n];
            Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, first, n);
            for (var rep = 0; rep < 3; rep++)
            {
                var again = new float[m * n];
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, again, n);
                Assert.Equal(first, again);
            }
        }
        finally
        {
            Gemm.Configure(GemmBackend.Auto, 1);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Decode_products_match_naive_for_every_row_count(int threads)
    {
        // Products with up to SkinnyRows rows read B in place, both A·Bᵀ (weights) and A·B (attention's
        // values): full tiles, leftover rows and columns, k not a multiple of the vector width, alpha and
        // beta, and shapes large enough to split across threads.
        var rng = new Random(17);
        Gemm.Configure(GemmBackend.Auto, threads);
        try
        {
            foreach (var (n, k) in new[] { (1, 1), (5, 7), (26, 9), (97, 64), (301, 259), (1000, 520) })
            {
                for (var m = 1; m <= Gemm.SkinnyRows + 1; m += m < 9 ? 1 : 8)
                {
                    foreach (var tb in new[] { true, false })
                    {
                        int lda = k + 5, ldb = (tb ? k : n) + 3, ldc = n + 1;
                        var a = TestData.Random(rng, m * lda);
                        var b = TestData.Random(rng, (tb ? n : k) * ldb);
                        var c0 = TestData.Random(rng, m * ldc);
                        foreach (var beta in new[] { 0f, 0.25f })
                        {
                            var expected = (float[])c0.Clone();
                            var actual = (float[])c0.Clone();
                            Naive(false, tb, m, n, k, 0.5f, a, lda, b, ldb, beta, expected, ldc);
                            Gemm.Sgemm(false, tb, m, n, k, 0.5f, a, lda, b, ldb, beta, actual, ldc);
                            TestData.AssertClose(actual, expected, 1e-4, 1e-4, $"m{m} n{n} k{k} tb{tb} beta{beta} threads{threads}");
                        }
                    }
                }
            }
        }
        finally
        {
            Gemm.Configure(GemmBackend.Auto, 1);
        }
    }

    [Fact]
    public void A_decode_row_does_not_depend_on_its_batch_or_the_thread_count()
    {
        // Each output of a decode product is computed the same way wherever it falls in the tiling, so a
        // sequence's logits are the same bits alone, in a batch of 16, or split over two threads.
        var rng = new Random(23);
        int n = 700, k = 261;
        var batch = TestData.Random(rng, 16 * k);
        var b = TestData.Random(rng, n * k);
        try
        {
            Gemm.Configure(GemmBackend.Auto, 2);
            var all = new float[16 * n];
            Gemm.Sgemm(false, true, 16, n, k, 1f, batch, k, b, k, 0f, all, n);
            foreach (var threads in new[] { 1, 2 })
            {
                Gemm.Configure(GemmBackend.Auto, threads);
                foreach (var row in new[] { 0, 5, 13, 15 })
                {
                    var alone = new float[n];
                    Gemm.Sgemm(false, true, 1, n, k, 1f, batch.AsSpan(row * k, k), k, b, k, 0f, alone, n);
                    Assert.Equal(all.AsSpan(row * n, n).ToArray(), alone);
                    var three = new float[3 * n];
                    var start = Math.Min(row, 13);
                    Gemm.Sgemm(false, true, 3, n, k, 1f, batch.AsSpan(start * k, 3 * k), k, b, k, 0f, three, n);
                    Assert.Equal(all.AsSpan(start * n, 3 * n).ToArray(), three);
                }
            }
        }
        finally
        {
            Gemm.Configure(GemmBackend.Auto, 1);
        }
    }
}
