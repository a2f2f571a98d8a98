using AlignStream.Engine.Blas;

namespace AlignStream.Engine.Kernels;

/// <summary>Bias-free linear layer with PyTorch's weight layout: <c>y = x · Wᵀ</c>, W is [out, in].</summary>
public static class Linear
{
    /// <summary>output[N,O] = input[N,I] · weight[O,I]ᵀ.</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int inFeatures, int outFeatures)
    {
        Gemm.Sgemm(false, true, n, outFeatures, inFeatures, 1f, input, inFeatures, weight, inFeatures, 0f, output, outFeatures);
    }

    /// <summary>
    /// Accumulates dInput[N,I] += dOutput[N,O] · weight[O,I] and dWeight[O,I] += dOutput[N,O]ᵀ · input[N,I].
    /// An empty <paramref name="dInput"/> skips the input gradient (the first layer's input is an embedding lookup that still needs it, the caller decides).
    /// </summary>
    public static void Backward(Span<float> dInput, Span<float> dWeight, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, int n, int inFeatures, int outFeatures)
    {
        if (!dInput.IsEmpty)
        {
            Gemm.Sgemm(false, false, n, inFeatures, outFeatures, 1f, dOutput, outFeatures, weight, inFeatures, 1f, dInput, inFeatures);
        }
        if (!dWeight.IsEmpty)
        {
            Gemm.Sgemm(true, false, outFeatures, inFeatures, n, 1f, dOutput, outFeatures, input, inFeatures, 1f, dWeight, inFeatures);
        }
    }

    /// <summary>Naive reference for tests: float64 accumulation.</summary>
    public static void ForwardNaive(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int inFeatures, int outFeatures)
    {
        for (var i = 0; i < n; i++)
        {
            for (var o = 0; o < outFeatures; o++)
            {
                double s = 0;
                for (var p = 0; p < inFeatures; p++)
                {
                    s += (double)input[(i * inFeatures) + p] * weight[(o * inFeatures) + p];
                }
                output[(i * outFeatures) + o] = (float)s;
            }
        }
    }

    /// <summary>Naive reference backward (accumulating) in float64.</summary>
    public static void BackwardNaive(Span<float> dInput, Span<float> dWeight, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, int n, int inFeatures, int outFeatures)
    {
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < inFeatures; p++)
            {
                double s = 0;
                for (var o = 0; o < outFeatures; o++)
                {
                    s += (double)dOutput[(i * outFeatures) + o] * weight[(o * inFeatures) + p];
                }
                dInput[(i * inFeatures) + p] += (float)s;
            }
        }
        for (var o = 0; o < outFeatures; o++)
        {
            for (var p = 0; p < inFeatures; p++)
            {
                double s = 0;
                for (var i = 0; i < n; i++)
                {
                    s += (double)dOutput[(i * outFeatures) + o] * input[(i * inFeatures) + p];
                }
                dWeight[(o * inFeatures) + p] += (float)s;
            }
        }
    }
}
