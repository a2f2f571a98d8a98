using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace AlignStream.Engine.Blas;

/// <summary>
/// Managed GEMM used when OpenBLAS is missing or not wanted: op(A) and op(B) are packed so that the
/// inner dimension k is contiguous for both, then each C element is one SIMD dot product. Rows of C
/// are split into one contiguous range per thread, so the result never depends on scheduling.
/// </summary>
internal static unsafe class ManagedGemm
{
    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        // Bt[n,k]: row j is column j of op(B).
        var bt = Grow(ref t_packB, (long)n * k);
        fixed (float* pbt = bt)
        {
            for (var j = 0; j < n; j++)
            {
                var dst = pbt + ((long)j * k);
                if (transB)
                {
                    new ReadOnlySpan<float>(b + ((long)j * ldb), k).CopyTo(new Span<float>(dst, k));
                }
                else
                {
                    for (var p = 0; p < k; p++)
                    {
                        dst[p] = b[((long)p * ldb) + j];
                    }
                }
            }
            var packA = transA;
            var ap = packA ? Grow(ref t_packA, (long)m * k) : null;
            fixed (float* pap = ap)
            {
                if (packA)
                {
                    for (var i = 0; i < m; i++)
                    {
                        for (var p = 0; p < k; p++)
                        {
                            pap[((long)i * k) + p] = a[((long)p * lda) + i];
                        }
                    }
                }
                var aBase = packA ? pap : a;
                var aStride = packA ? k : lda;
                var work = (long)m * n * k;
                var parts = work < 32_768 ? 1 : Math.Min(threads, m);
                var pbtL = (nint)pbt;
                var aL = (nint)aBase;
                var cL = (nint)c;
                if (parts <= 1)
                {
                    Rows(0, m, n, k, alpha, (float*)aL, aStride, (float*)pbtL, beta, (float*)cL, ldc);
                }
                else
                {
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                    {
                        var lo = (int)((long)m * part / parts);
                        var hi = (int)((long)m * (part + 1) / parts);
                        Rows(lo, hi, n, k, alpha, (float*)aL, aStride, (float*)pbtL, beta, (float*)cL, ldc);
                    });
                }
            }
        }
    }

    /// <summary>
    /// C[m,n] = alpha·A[m,k]·B[n,k]ᵀ + beta·C for few rows (decode steps): B is read once, four rows at a
    /// time, while the m rows of A stay in cache, so no packing copy of B is made. Columns are split
    /// into one contiguous range per thread.
    /// </summary>
    public static void SkinnyNT(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var parts = (long)n * k < 262_144 ? 1 : Math.Min(threads, Math.Max(1, n / 64));
        var aL = (nint)a;
        var bL = (nint)b;
        var cL = (nint)c;
        if (parts <= 1)
        {
            SkinnyColumns(0, n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            // Ranges on multiples of 4 keep the same Dot4 grouping whatever the thread count.
            var lo = (int)((long)n * part / parts) & ~3;
            var hi = part == parts - 1 ? n : (int)((long)n * (part + 1) / parts) & ~3;
            SkinnyColumns(lo, hi, m, k, alpha, (float*)aL, lda, (float*)bL, ldb, beta, (float*)cL, ldc);
        });
    }

    private static void SkinnyColumns(int lo, int hi, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var j = lo;
        for (; j + 4 <= hi; j += 4)
        {
            var bj = b + ((long)j * ldb);
            for (var i = 0; i < m; i++)
            {
                Dot4Strided(a + ((long)i * lda), bj, ldb, k, out var d0, out var d1, out var d2, out var d3);
                var crow = c + ((long)i * ldc) + j;
                crow[0] = Combine(alpha, d0, beta, crow[0]);
                crow[1] = Combine(alpha, d1, beta, crow[1]);
                crow[2] = Combine(alpha, d2, beta, crow[2]);
                crow[3] = Combine(alpha, d3, beta, crow[3]);
            }
        }
        for (; j < hi; j++)
        {
            var bj = new ReadOnlySpan<float>(b + ((long)j * ldb), k);
            for (var i = 0; i < m; i++)
            {
                var d = TensorPrimitives.Dot(new ReadOnlySpan<float>(a + ((long)i * lda), k), bj);
                var ci = c + ((long)i * ldc) + j;
                *ci = Combine(alpha, d, beta, *ci);
            }
        }
    }

    private static void Rows(int lo, int hi, int n, int k, float alpha, float* a, int lda, float* bt, float beta, float* c, int ldc)
    {
        for (var i = lo; i < hi; i++)
        {
            var arow = new ReadOnlySpan<float>(a + ((long)i * lda), k);
            var crow = c + ((long)i * ldc);
            var j = 0;
            // Four columns at a time share the loads of the A row.
            for (; j + 4 <= n; j += 4)
            {
                Dot4(a + ((long)i * lda), bt + ((long)j * k), k, out var d0, out var d1, out var d2, out var d3);
                crow[j] = Combine(alpha, d0, beta, crow[j]);
                crow[j + 1] = Combine(alpha, d1, beta, crow[j + 1]);
                crow[j + 2] = Combine(alpha, d2, beta, crow[j + 2]);
                crow[j + 3] = Combine(alpha, d3, beta, crow[j + 3]);
            }
            for (; j < n; j++)
            {
                var d = TensorPrimitives.Dot(arow, new ReadOnlySpan<float>(bt + ((long)j * k), k));
                crow[j] = Combine(alpha, d, beta, crow[j]);
            }
        }
    }

    private static float Combine(float alpha, float dot, float beta, float old) => beta == 0f ? alpha * dot : (alpha * dot) + (beta * old);

    private static void Dot4(float* a, float* b, int k, out float d0, out float d1, out float d2, out float d3) =>
        Dot4Strided(a, b, k, k, out d0, out d1, out d2, out d3);

    private static void Dot4Strided(float* a, float* b, int ldb, int k, out float d0, out float d1, out float d2, out float d3)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var s2 = Vector256<float>.Zero;
        var s3 = Vector256<float>.Zero;
        var p = 0;
        var w = Vector256<float>.Count;
        for (; p + w <= k; p += w)
        {
            var va = Vector256.Load(a + p);
            s0 += va * Vector256.Load(b + p);
            s1 += va * Vector256.Load(b + ldb + p);
            s2 += va * Vector256.Load(b + (2 * ldb) + p);
            s3 += va * Vector256.Load(b + (3 * ldb) + p);
        }
        float r0 = Vector256.Sum(s0), r1 = Vector256.Sum(s1), r2 = Vector256.Sum(s2), r3 = Vector256.Sum(s3);
        for (; p < k; p++)
        {
            var x = a[p];
            r0 += x * b[p];
            r1 += x * b[ldb + p];
            r2 += x * b[(2 * ldb) + p];
            r3 += x * b[(3 * ldb) + p];
        }
        d0 = r0;
        d1 = r1;
        d2 = r2;
        d3 = r3;
    }

    private static float[] Grow(ref float[]? buffer, long size)
    {
        if (buffer is null || buffer.Length < size)
        {
            buffer = new float[Math.Max(size, 1024)];
        }
        return buffer;
    }
}
