namespace AlignStream.Engine.Training;

/// <summary>Outcome of one DPO forward/backward: mean loss and per-pair diagnostics.</summary>
public sealed record DpoResult(double Loss, double[] PolicyChosen, double[] PolicyRejected, double[] Margins, double RewardAccuracy);
