using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Models;

/// <summary>Loss of one engine preference step: total = mean DPO + λ·L_SSL, with the per-pair DPO results.</summary>
public sealed record EnginePreferenceResult(double Loss, double PreferenceLoss, double AuxiliaryLoss, IReadOnlyList<DpoResult> Pairs);
