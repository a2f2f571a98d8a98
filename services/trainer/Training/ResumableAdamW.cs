using AlignStream.Engine.Training;

namespace AlignStream.Trainer.Training;

/// <summary>
/// AdamW over one contiguous buffer with the exact update of the engine's <see cref="AdamW"/> (same float
/// arithmetic, so the two agree bit for bit), plus what a checkpoint needs and the engine type does not expose:
/// the step count can be restored, so bias correction continues where it stopped after a restart.
/// </summary>
public sealed class ResumableAdamW
{
    /// <summary>Allocates zeroed moments for <paramref name="size"/> parameters.</summary>
    public ResumableAdamW(int size, AdamWOptions options)
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

    /// <summary>Updates taken so far (drives bias correction).</summary>
    public long Step { get; private set; }

    /// <summary>Restores moments and step from a checkpoint.</summary>
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

    /// <summary>One update of <paramref name="parameters"/> with <paramref name="gradients"/> at learning rate <paramref name="lr"/>.</summary>
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
