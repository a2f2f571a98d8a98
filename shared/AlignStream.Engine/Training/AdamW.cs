using AlignStream.Engine.Model;

namespace AlignStream.Engine.Training;

/// <summary>
/// AdamW with decoupled weight decay and bias correction, the same update as torch.optim.AdamW:
/// θ ← θ(1 − lr·wd); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
/// θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). Moments are two contiguous buffers in the parameter layout.
/// </summary>
public sealed class AdamW
{
    /// <summary>Allocates the moments for <paramref name="layout"/>.</summary>
    public AdamW(ParameterLayout layout, AdamWOptions options)
        : this((layout ?? throw new ArgumentNullException(nameof(layout))).TotalSize, options)
    {
    }

    /// <summary>Allocates the moments for a flat parameter vector of <paramref name="size"/> values (e.g. a head trained beside the model).</summary>
    public AdamW(int size, AdamWOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        M = new float[size];
        V = new float[size];
    }

    /// <summary>Hyper-parameters.</summary>
    public AdamWOptions Options { get; }

    /// <summary>First moment.</summary>
    public float[] M { get; }

    /// <summary>Second moment.</summary>
    public float[] V { get; }

    /// <summary>Steps taken so far.</summary>
    public long Step { get; private set; }

    /// <summary>
    /// Restores moments and step count from a checkpoint, so a resumed run continues bit-identically (the bias
    /// correction depends on the step).
    /// </summary>
    public void Restore(ReadOnlySpan<float> m, ReadOnlySpan<float> v, long step)
    {
        if (m.Length != M.Length || v.Length != V.Length)
        {
            throw new InvalidDataException($"optimizer state holds {m.Length}/{v.Length} moments; this model needs {M.Length}: the checkpoint belongs to another architecture");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        m.CopyTo(M);
        v.CopyTo(V);
        Step = step;
    }

    /// <summary>Applies one update to <paramref name="parameters"/> with gradients <paramref name="gradients"/> and learning rate <paramref name="lr"/>.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, double lr)
    {
        if (parameters.Length != M.Length || gradients.Length != M.Length)
        {
            throw new ArgumentException($"parameters ({parameters.Length}) and gradients ({gradients.Length}) must both hold {M.Length} values");
        }
        Step++;
        var o = Options;
        var b1 = (float)o.Beta1;
        var b2 = (float)o.Beta2;
        var bc1 = 1 - Math.Pow(o.Beta1, Step);
        var bc2 = 1 - Math.Pow(o.Beta2, Step);
        var stepSize = (float)(lr / bc1);
        var sqrtBc2 = (float)Math.Sqrt(bc2);
        var eps = (float)o.Epsilon;
        var decay = (float)(1 - (lr * o.WeightDecay));
        var m = M;
        var v = V;
        for (var i = 0; i < parameters.Length; i++)
        {
            var g = gradients[i];
            var p = parameters[i] * decay;
            var mi = (b1 * m[i]) + ((1 - b1) * g);
            var vi = (b2 * v[i]) + ((1 - b2) * g * g);
            m[i] = mi;
            v[i] = vi;
            parameters[i] = p - (stepSize * mi / ((MathF.Sqrt(vi) / sqrtBc2) + eps));
        }
    }
}
