using System.Numerics.Tensors;

namespace AlignStream.Alignment.Bandit;

/// <summary>
/// One LinUCB update as an additive, commutative delta: A_arm += x·xᵀ, b_arm += r̃·x, count_arm += 1,
/// and the raw reward appended to the pooled history. A state store can apply it atomically
/// (e.g. element-wise increments in one transaction) and replicas may apply deltas in any order.
/// </summary>
/// <param name="Arm">The arm that was played.</param>
/// <param name="Context">x, already L2-normalised if the bandit normalises contexts.</param>
/// <param name="RawReward">r = −loss (goes into the quantile history).</param>
/// <param name="Reward">r̃, the normalised reward used for b.</param>
public sealed record BanditUpdate(int Arm, double[] Context, double RawReward, double Reward)
{
    /// <summary>ΔA = x·xᵀ, row-major [d, d].</summary>
    public double[] DeltaA()
    {
        var d = Context.Length;
        var delta = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            TensorPrimitives.Multiply(Context, Context[i], delta.AsSpan(i * d, d));
        }
        return delta;
    }

    /// <summary>Δb = r̃·x, [d].</summary>
    public double[] DeltaB() => Context.Select(v => Reward * v).ToArray();
}
