namespace AlignStream.Alignment.Losses;

/// <summary>
/// DPO hyper-parameters (ALGORITHMS.md §0.1). Defaults follow TRL/RLHFlow: β = 0.1, no label smoothing.
/// </summary>
public sealed record DpoOptions
{
    public const string SectionName = "Dpo";

    /// <summary>Inverse temperature β on the log-ratio margin. Must be positive.</summary>
    public double Beta { get; init; } = 0.1;

    /// <summary>Conservative-DPO label smoothing ε in [0, 0.5). RLHFlow uses 0 or 0.1 depending on the script.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Throws with the offending field and the fix when a value is out of range.</summary>
    public DpoOptions Validate()
    {
        if (!(Beta > 0) || double.IsInfinity(Beta))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "Dpo.Beta must be a finite number > 0 (the usual value is 0.1).");
        }
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "Dpo.LabelSmoothing must be in [0, 0.5); use 0 to disable it.");
        }
        return this;
    }
}
