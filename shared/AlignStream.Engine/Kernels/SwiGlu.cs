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
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(gate, h);
        System.Numerics.Tensors.TensorPrimitives.Multiply(h, gate, h);
        System.Numerics.Tensors.TensorPrimitives.Multiply(h, up, h);
    }

    /// <summary>Accumulates dGate += dh·u·σ(g)(1 + g(1−σ(g))) and dUp += dh·silu(g).</summary>
    public static void Backward(Span<float> dGate, Span<float> dUp, ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up)
    {
        for (var i = 0; i < dh.Length; i++)
        {
            var g = gate[i];
            var s = 1f / (1f + MathF.Exp(-g));
            var silu = g * s;
            dGate[i] += dh[i] * up[i] * s * (1f + (g * (1f - s)));
            dUp[i] += dh[i] * silu;
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
