using AlignStream.Engine.Kernels;

namespace AlignStream.Engine.Tests.Kernels;

/// <summary>Each fast kernel against its naive float64 reference over lengths 0..256.</summary>
[Collection("Gemm")]
public sealed class KernelValueTests
{
    [Fact]
    public void RmsNorm_matches_reference_for_every_width_0_to_256()
    {
        var rng = new Random(1);
        for (var c = 0; c <= 256; c++)
        {
            const int n = 3;
            var x = TestData.Random(rng, n * c, 3f);
            var w = TestData.Random(rng, c);
            var y = new float[n * c];
            var r = new float[n];
            var expected = new float[n * c];
            RmsNorm.Forward(y, r, x, w, n, c, 1e-5f);
            RmsNorm.ForwardNaive(expected, x, w, n, c, 1e-5f);
            TestData.AssertClose(y, expected, 1e-6, 1e-5, $"rmsnorm C={c}");
        }
    }

    [Fact]
    public void SwiGlu_matches_reference_for_every_length_0_to_256()
    {
        var rng = new Random(2);
        for (var len = 0; len <= 256; len++)
        {
            var g = TestData.Random(rng, len, 6f);
            var u = TestData.Random(rng, len, 2f);
            var h = new float[len];
            var e = new float[len];
            SwiGlu.Forward(h, g, u);
            SwiGlu.ForwardNaive(e, g, u);
            TestData.AssertClose(h, e, 1e-6, 1e-5, $"swiglu len={len}");
        }
    }

    [Fact]
    public void LogSoftmax_matches_reference_for_every_vocab_1_to_256()
    {
        var rng = new Random(3);
        for (var v = 1; v <= 256; v++)
        {
            const int n = 2;
            var z = TestData.Random(rng, n * v, 8f);
            var targets = new[] { rng.Next(v), v - 1 };
            var lp = new float[n];
            var ent = new float[n];
            var probs = (float[])z.Clone();
            LogSoftmax.Forward(probs, targets, lp, ent, n, v);
            for (var i = 0; i < n; i++)
            {
                var (elp, eent) = LogSoftmax.RowNaive(z.AsSpan(i * v, v), targets[i]);
                Assert.True(Math.Abs(lp[i] - elp) < 1e-5 + (1e-5 * Math.Abs(elp)), $"logprob V={v} row {i}: {lp[i]} vs {elp}");
                Assert.True(Math.Abs(ent[i] - eent) < 1e-5 + (1e-5 * eent), $"entropy V={v} row {i}: {ent[i]} vs {eent}");
                double sum = 0;
                for (var j = 0; j < v; j++)
                {
                    sum += probs[(i * v) + j];
                }
                Assert.True(Math.Abs(sum - 1) < 1e-5, $"probabilities V={v} sum to {sum}");
            }
        }
    }

    [Fact]
    public void LogSoftmax_with_zero_rows_is_a_no_op()
    {
        LogSoftmax.Forward([], [], [], [], 0, 5);
    }

    [Fact]
    public void Linear_matches_reference_for_rows_0_to_256()
    {
        var rng = new Random(4);
        const int i = 24, o = 20;
        var w = TestData.Random(rng, o * i);
        for (var n = 0; n <= 256; n += n < 16 ? 1 : 15)
        {
            var x = TestData.Random(rng, n * i);
            var y = new float[n * o];
            var e = new float[n * o];
            Linear.Forward(y, x, w, n, i, o);
            Linear.ForwardNaive(e, x, w, n, i, o);
            TestData.AssertClose(y, e, 1e-5, 1e-4, $"linear N={n}");
        }
    }

    [Fact]
    public void Embedding_copies_rows_and_backward_sums_repeated_tokens()
    {
        var table = new float[] { 1, 2, 3, 4, 5, 6 };
        var tokens = new[] { 2, 0, 2 };
        var y = new float[6];
        Embedding.Forward(y, tokens, table, 2);
        Assert.Equal([5f, 6, 1, 2, 5, 6], y);
        var d = new float[6];
        Embedding.Backward(d, [1f, 1, 10, 10, 100, 100], tokens, 2);
        Assert.Equal([10f, 10, 0, 0, 101, 101], d);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(y, [3], table, 2));
        Assert.Contains("vocabulary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rope_matches_reference_for_positions_0_to_256()
    {
        var rng = new Random(5);
        const int heads = 3, hs = 16;
        var table = new RopeTable(257, hs, 10000f);
        var positions = Enumerable.Range(0, 257).ToArray();
        var x = TestData.Random(rng, positions.Length * heads * hs);
        var fast = (float[])x.Clone();
        var naive = (float[])x.Clone();
        Rope.Forward(fast, positions, heads, table);
        Rope.ForwardNaive(naive, positions, heads, hs, 10000.0);
        // float32 angles at position 256 carry ~1e-5 rounding, as in transformers.
        TestData.AssertClose(fast, naive, 5e-5, 1e-4, "rope");
        Rope.Backward(fast, positions, heads, table);
        TestData.AssertClose(fast, x, 1e-5, 1e-5, "rope backward undoes forward");
    }

    [Fact]
    public void Attention_matches_reference_over_lengths_0_to_256()
    {
        var rng = new Random(6);
        const int heads = 4, kv = 2, hs = 8;
        int[] lengths = [0, 1, 2, 3, 5, 17, 64, 100, 256];
        var starts = new int[lengths.Length];
        for (var b = 1; b < lengths.Length; b++)
        {
            starts[b] = starts[b - 1] + lengths[b - 1];
        }
        var n = lengths.Sum();
        var q = TestData.Random(rng, n * heads * hs, 2f);
        var k = TestData.Random(rng, n * kv * hs, 2f);
        var v = TestData.Random(rng, n * kv * hs);
        foreach (var threads in new[] { 1, 2 })
        {
            var y = new float[n * heads * hs];
            var probs = new float[Attention.ProbsSize(lengths, heads)];
            Attention.Forward(y, probs, q, k, v, starts, lengths, lengths.Length, heads, kv, hs, threads);
            for (var b = 0; b < lengths.Length; b++)
            {
                var l = lengths[b];
                var e = new float[l * heads * hs];
                Attention.ForwardNaive(e, q.AsSpan(starts[b] * heads * hs), k.AsSpan(starts[b] * kv * hs), v.AsSpan(starts[b] * kv * hs), l, heads, kv, hs);
                TestData.AssertClose(y.AsSpan(starts[b] * heads * hs, l * heads * hs), e, 1e-5, 1e-4, $"attention L={l} threads={threads}");
            }
        }
    }

    [Fact]
    public unsafe void Cached_attention_equals_full_attention_row_by_row()
    {
        var rng = new Random(7);
        const int heads = 4, kv = 2, hs = 8, l = 40;
        var q = TestData.Random(rng, l * heads * hs, 2f);
        var k = TestData.Random(rng, l * kv * hs, 2f);
        var v = TestData.Random(rng, l * kv * hs);
        var full = new float[l * heads * hs];
        Attention.ForwardNaive(full, q, k, v, l, heads, kv, hs);
        var y = new float[l * heads * hs];
        fixed (float* py = y, pq = q, pk = k, pv = v)
        {
            // A 13-token prefill, then one token at a time.
            Attention.ForwardCached(py, pq, pk, pv, 0, 13, heads, kv, hs);
            for (var t = 13; t < l; t++)
            {
                Attention.ForwardCached(py + (t * heads * hs), pq + (t * heads * hs), pk, pv, t, 1, heads, kv, hs);
            }
        }
        TestData.AssertClose(y, full, 1e-5, 1e-4, "cached attention");
    }

    [Fact]
    public unsafe void Attention_stays_finite_when_scores_are_far_past_exp_overflow()
    {
        // Scores of several hundred (exp overflows float32 past ~88) occur in training at high learning rates.
        var rng = new Random(8);
        const int heads = 2, kv = 1, hs = 8, l = 12;
        var q = TestData.Random(rng, l * heads * hs, 40f);
        var k = TestData.Random(rng, l * kv * hs, 40f);
        var v = TestData.Random(rng, l * kv * hs);
        var naive = new float[l * heads * hs];
        Attention.ForwardNaive(naive, q, k, v, l, heads, kv, hs);
        Assert.All(naive, x => Assert.True(float.IsFinite(x)));

        var y = new float[l * heads * hs];
        var probs = new float[Attention.ProbsSize([l], heads)];
        Attention.Forward(y, probs, q, k, v, [0], [l], 1, heads, kv, hs, 1);
        TestData.AssertClose(y, naive, 1e-4, 1e-4, "packed attention with huge scores");

        var cached = new float[l * heads * hs];
        fixed (float* py = cached, pq = q, pk = k, pv = v)
        {
            Attention.ForwardCached(py, pq, pk, pv, 0, 5, heads, kv, hs);
            for (var t = 5; t < l; t++)
            {
                Attention.ForwardCached(py + (t * heads * hs), pq + (t * heads * hs), pk, pv, t, 1, heads, kv, hs);
            }
        }
        TestData.AssertClose(cached, naive, 1e-4, 1e-4, "cached attention with huge scores");
    }
}
