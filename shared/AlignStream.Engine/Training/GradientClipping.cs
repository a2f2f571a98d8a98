namespace AlignStream.Engine.Training;

/// <summary>Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (coefficient max/(norm+1e-6), capped at 1).</summary>
public static class GradientClipping
{
    /// <summary>Scales <paramref name="gradients"/> in place when their L2 norm exceeds <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGlobalNorm(Span<float> gradients, double maxNorm)
    {
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping norm must be positive");
        }
        double ss = 0;
        foreach (var g in gradients)
        {
            ss += (double)g * g;
        }
        var norm = Math.Sqrt(ss);
        var coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradients, (float)coef, gradients);
        }
        return norm;
    }
}
