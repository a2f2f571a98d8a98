using System.Numerics.Tensors;

namespace AlignStream.Engine.Kernels;

/// <summary>RMSNorm as in Llama: <c>y = x / sqrt(mean(x²) + eps) · w</c>, computed in float32 like transformers.</summary>
public static class RmsNorm
{
    /// <summary>output[N,C], rstd[N] (saved for backward), input[N,C], weight[C].</summary>
    public static void Forward(Span<float> output, Span<float> rstd, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int channels, float eps)
    {
        for (var i = 0; i < n; i++)
        {
            var x = input.Slice(i * channels, channels);
            var y = output.Slice(i * channels, channels);
            var ms = TensorPrimitives.SumOfSquares(x) / channels;
            var r = 1f / MathF.Sqrt(ms + eps);
            rstd[i] = r;
            TensorPrimitives.Multiply(x, r, y);
            TensorPrimitives.Multiply(y, weight, y);
        }
    }

    /// <summary>
    /// Accumulates dInput[N,C] and dWeight[C]. With x̂ = x·r and g = dy·w:
    /// dx = r · (g − x̂ · mean(g·x̂)), dw += Σ_n dy·x̂.
    /// <paramref name="scratch"/> holds at least C floats.
    /// </summary>
    public static void Backward(Span<float> dInput, Span<float> dWeight, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd, int n, int channels, Span<float> scratch)
    {
        var xhat = scratch[..channels];
        var g = scratch.Slice(channels, channels);
        for (var i = 0; i < n; i++)
        {
            var x = input.Slice(i * channels, channels);
            var dy = dOutput.Slice(i * channels, channels);
            var dx = dInput.Slice(i * channels, channels);
            var r = rstd[i];
            TensorPrimitives.Multiply(x, r, xhat);
            TensorPrimitives.MultiplyAdd(dy, xhat, dWeight, dWeight);
            TensorPrimitives.Multiply(dy, weight, g);
            var mean = TensorPrimitives.Dot(g, xhat) / channels;
            // dx += r·g − (r·mean)·x̂
            TensorPrimitives.MultiplyAdd(g, r, dx, dx);
            TensorPrimitives.MultiplyAdd(xhat, -r * mean, dx, dx);
        }
    }

    /// <summary>Scratch floats <see cref="Backward"/> needs.</summary>
    public static int ScratchSize(int channels) => 2 * channels;

    /// <summary>Naive float64 reference.</summary>
    public static void ForwardNaive(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int channels, float eps)
    {
        for (var i = 0; i < n; i++)
        {
            double ss = 0;
            for (var c = 0; c < channels; c++)
            {
                ss += (double)input[(i * channels) + c] * input[(i * channels) + c];
            }
            var r = 1.0 / Math.Sqrt((ss / channels) + eps);
            for (var c = 0; c < channels; c++)
            {
                output[(i * channels) + c] = (float)(input[(i * channels) + c] * r * weight[c]);
            }
        }
    }
}
