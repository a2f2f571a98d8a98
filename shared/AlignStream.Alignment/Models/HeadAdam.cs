namespace AlignStream.Alignment.Models;

/// <summary>Adam(W) state for a small head held outside the engine's parameter buffer.</summary>
internal sealed class HeadAdam(int size, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
{
    private readonly double[] _m = new double[size];
    private readonly double[] _v = new double[size];
    private long _step;

    /// <summary>One update of <paramref name="parameters"/> (length = size) with its gradient.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, double lr)
    {
        if (parameters.Length != _m.Length || gradients.Length != _m.Length)
        {
            throw new ArgumentException($"head parameters ({parameters.Length}) and gradients ({gradients.Length}) must both hold {_m.Length} values.");
        }
        _step++;
        var bc1 = 1 - Math.Pow(beta1, _step);
        var bc2 = 1 - Math.Pow(beta2, _step);
        for (var i = 0; i < parameters.Length; i++)
        {
            double g = gradients[i];
            _m[i] = (beta1 * _m[i]) + ((1 - beta1) * g);
            _v[i] = (beta2 * _v[i]) + ((1 - beta2) * g * g);
            var p = parameters[i] * (1 - (lr * weightDecay));
            p -= lr * (_m[i] / bc1) / (Math.Sqrt(_v[i] / bc2) + epsilon);
            parameters[i] = (float)p;
        }
    }
}
