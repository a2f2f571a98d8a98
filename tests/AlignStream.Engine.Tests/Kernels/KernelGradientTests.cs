using AlignStream.Engine.Kernels;

namespace AlignStream.Engine.Tests.Kernels;

/// <summary>
/// Every backward against central finite differences of L = Σ r ⊙ forward(x) for a random r, with the
/// sum taken in float64 so the difference quotient measures the kernel, not the summation.
/// </summary>
[Collection("Gemm")]
public sealed class KernelGradientTests
{
    [Fact]
    public void RmsNorm_backward()
    {
        var rng = new Random(21);
        const int n = 5, c = 12;
        var x = TestData.Random(rng, n * c, 2f);
        var w = TestData.Random(rng, c, 2f);
        var r = TestData.Random(rng, n * c);
        var y = new float[n * c];
        var rstd = new float[n];
        double Loss()
        {
            RmsNorm.Forward(y, rstd, x, w, n, c, 1e-5f);
            return TestData.Dot(y, r);
        }
        Loss();
        var dx = new float[n * c];
        var dw = new float[c];
        RmsNorm.Backward(dx, dw, r, x, w, rstd, n, c, new float[RmsNorm.ScratchSize(c)]);
        TestData.CheckGradient(Loss, x, dx, rng, "rmsnorm dx");
        TestData.CheckGradient(Loss, w, dw, rng, "rmsnorm dw");
    }

    [Fact]
    public void SwiGlu_backward()
    {
        var rng = new Random(22);
        const int len = 40;
        var g = TestData.Random(rng, len, 4f);
        var u = TestData.Random(rng, len, 2f);
        var r = TestData.Random(rng, len);
        var h = new float[len];
        double Loss()
        {
            SwiGlu.Forward(h, g, u);
            return TestData.Dot(h, r);
        }
        var dg = new float[len];
        var du = new float[len];
        SwiGlu.Backward(dg, du, r, g, u);
        TestData.CheckGradient(Loss, g, dg, rng, "swiglu dgate", samples: len);
        TestData.CheckGradient(Loss, u, du, rng, "swiglu dup", samples: len);
    }

    [Fact]
    public void Rope_backward()
    {
        var rng = new Random(23);
        const int n = 6, heads = 2, hs = 8;
        var table = new RopeTable(64, hs, 500f);
        int[] pos = [0, 3, 9, 17, 40, 63];
        var x = TestData.Random(rng, n * heads * hs);
        var r = TestData.Random(rng, n * heads * hs);
        double Loss()
        {
            var y = (float[])x.Clone();
            Rope.Forward(y, pos, heads, table);
            return TestData.Dot(y, r);
        }
        var dx = (float[])r.Clone();
        Rope.Backward(dx, pos, heads, table);
        TestData.CheckGradient(Loss, x, dx, rng, "rope dx", samples: 48);
    }

    [Fact]
    public void LogSoftmax_backward()
    {
        var rng = new Random(24);
        const int n = 4, v = 11;
        var z = TestData.Random(rng, n * v, 3f);
        int[] targets = [3, 0, 10, -1];
        float[] dlp = [0.7f, -1.3f, 0.2f, 0.9f];
        double Loss()
        {
            var p = (float[])z.Clone();
            var lp = new float[n];
            LogSoftmax.Forward(p, targets, lp, [], n, v);
            return TestData.Dot(lp, dlp);
        }
        var probs = (float[])z.Clone();
        LogSoftmax.Forward(probs, targets, new float[n], [], n, v);
        var dz = new float[n * v];
        LogSoftmax.Backward(dz, probs, targets, dlp, n, v);
        TestData.CheckGradient(Loss, z, dz, rng, "logsoftmax dlogits", samples: n * v);
    }

    [Fact]
    public void Linear_backward_matches_naive_and_finite_differences()
    {
        var rng = new Random(25);
        const int n = 7, i = 9, o = 5;
        var x = TestData.Random(rng, n * i);
        var w = TestData.Random(rng, o * i);
        var r = TestData.Random(rng, n * o);
        var y = new float[n * o];
        double Loss()
        {
            Linear.Forward(y, x, w, n, i, o);
            return TestData.Dot(y, r);
        }
        var dx = new float[n * i];
        var dw = new float[o * i];
        Linear.Backward(dx, dw, r, x, w, n, i, o);
        var ndx = new float[n * i];
        var ndw = new float[o * i];
        Linear.BackwardNaive(ndx, ndw, r, x, w, n, i, o);
        TestData.AssertClose(dx, ndx, 1e-5, 1e-4, "linear dx vs naive");
        TestData.AssertClose(dw, ndw, 1e-5, 1e-4, "linear dw vs naive");
        TestData.CheckGradient(Loss, x, dx, rng, "linear dx");
        TestData.CheckGradient(Loss, w, dw, rng, "linear dw");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Attention_backward(int threads)
    {
        var rng = new Random(26);
        const int heads = 4, kv = 2, hs = 4;
        int[] lengths = [5, 0, 3, 9];
        int[] starts = [0, 5, 5, 8];
        var n = 17;
        var q = TestData.Random(rng, n * heads * hs, 1.5f);
        var k = TestData.Random(rng, n * kv * hs, 1.5f);
        var v = TestData.Random(rng, n * kv * hs);
        var r = TestData.Random(rng, n * heads * hs);
        var y = new float[n * heads * hs];
        var probs = new float[Attention.ProbsSize(lengths, heads)];
        double Loss()
        {
            Attention.Forward(y, probs, q, k, v, starts, lengths, 4, heads, kv, hs, threads);
            return TestData.Dot(y, r);
        }
        Loss();
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        Attention.Backward(dq, dk, dv, r, probs, q, k, v, starts, lengths, 4, heads, kv, hs, threads);
        TestData.CheckGradient(Loss, q, dq, rng, "attention dq", samples: 40);
        TestData.CheckGradient(Loss, k, dk, rng, "attention dk", samples: 40);
        TestData.CheckGradient(Loss, v, dv, rng, "attention dv", samples: 40);
    }
}
