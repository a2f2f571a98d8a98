namespace AlignStream.Scorer.Laser;

/// <summary>The reward model chosen for one task group of a batch.</summary>
/// <param name="Arm">Arm index (position in Scorer:RewardModels).</param>
/// <param name="RewardModel">Its reward model name.</param>
/// <param name="Ucb">Every arm's UCB value (empty when the bandit is off).</param>
/// <param name="Context">The L2-normalised context (empty when the bandit is off).</param>
public sealed record ArmChoice(int Arm, string RewardModel, double[] Ucb, double[] Context);
