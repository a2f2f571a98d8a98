namespace AlignStream.Alignment.Decoding;

/// <summary>
/// Fills rewards[i] = r(prefix ∘ candidates[i]) for the top-k candidate token ids of the current step.
/// RAD runs a reward model k times; ARM evaluates a low-rank head once (<see cref="LowRankRewardHead"/>).
/// </summary>
public delegate void CandidateRewards(ReadOnlySpan<int> candidates, Span<float> rewards);
