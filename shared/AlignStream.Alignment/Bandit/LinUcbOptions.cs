namespace AlignStream.Alignment.Bandit;

/// <summary>LASeR LinUCB options (ALGORITHMS.md §3.1, §3.4).</summary>
public sealed record LinUcbOptions
{
    public const string SectionName = "Bandit";

    /// <summary>Number of arms K (candidate reward models).</summary>
    public int Arms { get; init; }

    /// <summary>Context width d.</summary>
    public int Dimension { get; init; }

    /// <summary>Exploration weight α (LASeR code: 0.1).</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>L2-normalise contexts before use ([EXT], default on; the reference code does not).</summary>
    public bool NormalizeContexts { get; init; } = true;

    /// <summary>Reward mapping; default quantile squashing as in the reference code.</summary>
    public RewardNormalization Normalization { get; init; } = RewardNormalization.Quantile;

    /// <summary>Lower percentile of the pooled history (default 20).</summary>
    public double LowPercentile { get; init; } = 20;

    /// <summary>Upper percentile of the pooled history (default 80).</summary>
    public double HighPercentile { get; init; } = 80;

    public LinUcbOptions Validate()
    {
        if (Arms < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Arms), Arms, "Bandit.Arms must be >= 1 (one arm per candidate reward model).");
        }
        if (Dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "Bandit.Dimension must be >= 1 (the context width, e.g. the policy hidden size).");
        }
        if (!(Alpha >= 0) || double.IsInfinity(Alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Bandit.Alpha must be a finite number >= 0 (LASeR uses 0.1).");
        }
        if (!(LowPercentile >= 0 && LowPercentile < HighPercentile && HighPercentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(LowPercentile), LowPercentile, "Bandit.LowPercentile must be < Bandit.HighPercentile, both in [0, 100] (defaults 20 and 80).");
        }
        return this;
    }
}
