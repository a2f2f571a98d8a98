namespace AlignStream.Scorer.Reference;

/// <summary>What the reference forward gives one sequence.</summary>
/// <param name="TokenLogProbs">log p_ref(y_t | x, y_&lt;t) per response token [L] (raw distribution, temperature 1).</param>
/// <param name="LogProbSum">Σ_t of <paramref name="TokenLogProbs"/> accumulated in float64 (ALGORITHMS.md convention 1).</param>
/// <param name="Entropies">H_j after response token j, in nats [L]; null unless asked for.</param>
/// <param name="PromptHidden">Final hidden state at the last prompt token [C] (fallback bandit context).</param>
/// <param name="ResponseEmbedding">Mean of the final hidden states over response tokens, L2-normalised [C]; null unless asked for.</param>
public sealed record ReferenceResult(float[] TokenLogProbs, double LogProbSum, double[]? Entropies, float[] PromptHidden, float[]? ResponseEmbedding);
