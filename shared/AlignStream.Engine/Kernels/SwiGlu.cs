using System.Numerics.Tensors;

namespace AlignStream.Engine.Kernels;

/// <summary>SwiGLU gate: h = silu(g) · u with silu(x) = x·σ(x).</summary>
public static class SwiGlu
{
    /// <summary>h[N·F] from gate g and up u of the same shape.</summary>
    public static void Forward(Span<float> h, ReadOnlySpan<float> gate, ReadOnlySpan<float> up)
    {
        if (h.IsEmpty)
        {
            return;
        }
        TensorPrimitives.Sigmoid(gate, h);
        TensorPrimitives.Multiply(h, gate, h);
        TensorPrimitives.Multiply(h, up, h);
    }

    /// <summary>Accumulates dGate += dh·u·σ(g)(1 + g(1−σ(g))) and dUp += dh·silu(g), in SIMD chunks.</summary>
    public static void Backward(Span<float> dGate, Span<float> dUp, ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up)
    {
        const int chunk = 512;
        Span<float> sig = stackalloc float[chunk];
        Span<float> silu = stackalloc float[chunk];
        Span<float> tmp = stackalloc float[chunk];
        for (var off = 0; off < dh.Length; off += chunk)
        {
            var len = Math.Min(chunk, dh.Length - off);
            var g = gate.Slice(off, len);
            var d = dh.Slice(off, len);
            var s = sig[..len];
            var si = silu[..len];
            var t = tmp[..len];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, si);
            TensorPrimitives.MultiplyAdd(d, si, dUp.Slice(off, len), dUp.Slice(off, len));
            // σ + silu·(1 − σ) = σ(1 + g(1 − σ))
            TensorPrimitives.Negate(s, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(t, si, t);
            TensorPrimitives.Add(t, s, t);
            TensorPrimitives.Multiply(t, up.Slice(off, len), t);
            TensorPrimitives.MultiplyAdd(t, d, dGate.Slice(off, len), dGate.Slice(off, len));
        }
    }

    /// <summary>Naive float64 reference.</summary>
    public static void ForwardNaive(Span<float> h, ReadOnlySpan<float> gate, ReadOnlySpan<float> up)
    {
        for (var i = 0; i < h.Length; i++)
        {
            double g = gate[i];
            h[i] = (float)(g / (1 + Math.Exp(-g)) * up[i]);
        }
    }
}
