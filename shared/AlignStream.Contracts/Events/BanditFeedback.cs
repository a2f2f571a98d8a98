namespace AlignStream.Contracts.Events;

/// <summary>LASeR feedback for one batch: the arm that was pulled, its context, and the reward observed.</summary>
public sealed record BanditFeedback(string BatchId, int Arm, IReadOnlyList<float> Context, double Reward);
