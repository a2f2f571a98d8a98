namespace AlignStream.Alignment.Selection;

/// <summary>
/// What a pair selector sees for one prompt's N candidates. Fields a selector does not use may be null.
/// </summary>
/// <param name="Rewards">R_i, one per candidate (from one reward model).</param>
/// <param name="RefLogprobs">logp_ref(y_i|x) summed over response tokens (RBoN-KL).</param>
/// <param name="Similarity">N×N cosine similarity matrix of response embeddings (RBoN-WD).</param>
public sealed record SelectionInput(IReadOnlyList<double> Rewards, IReadOnlyList<double>? RefLogprobs = null, IReadOnlyList<IReadOnlyList<double>>? Similarity = null);
