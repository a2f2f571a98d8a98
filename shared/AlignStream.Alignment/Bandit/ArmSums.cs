namespace AlignStream.Alignment.Bandit;

/// <summary>
/// An arm's accumulated update sums as a state store keeps them, WITHOUT the identity prior:
/// SumOuter = Σ x·xᵀ (row-major [d, d]), SumRewardContext = Σ r̃·x ([d]), Pulls = number of updates.
/// </summary>
public sealed record ArmSums(double[] SumOuter, double[] SumRewardContext, long Pulls);
