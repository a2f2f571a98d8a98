namespace AlignStream.Alignment.Models;

/// <summary>
/// One SPO variant for the engine objective (ALGORITHMS.md §2.1): <paramref name="Degree"/> key units
/// removed from the chosen (or rejected) response. <paramref name="Response"/> holds the re-tokenised
/// variant; null means the original response, whose hidden state comes from the DPO forward (no extra pass).
/// </summary>
public sealed record EngineSpoVariant(bool FromChosen, int Degree, int[]? Response);

/// <summary>
/// A preference pair as token ids for <see cref="EnginePreferenceObjective"/>. Prompt includes BOS when
/// the tokenizer has one. Reference log-probs are per response token (fixed numbers: the reference takes no
/// gradient). Optional per-token weights give masked / token-weighted DPO (§5B); SPO variants are optional.
/// </summary>
public sealed record EnginePreferencePair(
    int[] Prompt,
    int[] Chosen,
    int[] Rejected,
    double[] ReferenceChosen,
    double[] ReferenceRejected)
{
    /// <summary>Per-token weights (or a 0/1 mask) of the chosen response; null = all ones.</summary>
    public double[]? ChosenWeights { get; init; }

    /// <summary>Per-token weights (or a 0/1 mask) of the rejected response; null = all ones.</summary>
    public double[]? RejectedWeights { get; init; }

    /// <summary>SPO variants of this pair (empty: no auxiliary term from this pair).</summary>
    public IReadOnlyList<EngineSpoVariant> Variants { get; init; } = [];
}
