namespace AlignStream.Alignment.Bandit;

/// <summary>The arm LinUCB picked, every arm's UCB value, and the (normalised) context it was scored on.</summary>
public sealed record BanditChoice(int Arm, double[] Ucb, double[] Context);
