namespace AlignStream.Engine.Training;

/// <summary>
/// One DPO pair as token ids with the reference model's response log-prob sums (convention 1).
/// Optional per-token weights (one per response token) turn the sums into weighted sums; the
/// reference sums must then be weighted the same way.
/// </summary>
public sealed record PreferencePairTokens(
    int[] Prompt,
    int[] Chosen,
    int[] Rejected,
    double ReferenceChosen,
    double ReferenceRejected,
    float[]? ChosenWeights = null,
    float[]? RejectedWeights = null);
