namespace AlignStream.Alignment.Decoding;

/// <summary>RAD/ARM decoding options (ALGORITHMS.md §4.1, §4.5). Defaults follow the RAD README: k = 20, β = 50.</summary>
public sealed record RadOptions
{
    public const string SectionName = "Rad";

    /// <summary>Number of top LM tokens rescored; all others get −∞.</summary>
    public int TopK { get; init; } = 20;

    /// <summary>Weight β of the clamped reward added to the LM logit.</summary>
    public double Beta { get; init; } = 50;

    /// <summary>Use 1 − r (e.g. when r is a toxicity probability to steer away from).</summary>
    public bool Inverse { get; init; }

    public RadOptions Validate()
    {
        if (TopK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "Rad.TopK must be >= 1 (RAD uses 20).");
        }
        if (!(Beta >= 0) || double.IsInfinity(Beta))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "Rad.Beta must be a finite number >= 0 (RAD README uses 50).");
        }
        return this;
    }
}
