namespace AlignStream.Alignment.Selection;

/// <summary>Pair-selection options; defaults per ALGORITHMS.md §1.4 and §3.2.</summary>
public sealed record SelectorOptions
{
    public const string SectionName = "Selector";

    /// <summary>Selector name: bon, max-min, rbon-kl, rbon-wd or next-k.</summary>
    public string Selector { get; init; } = "max-min";

    /// <summary>Regularisation strength β of RBoN (separate scales for KL and WD are the caller's choice, §1.3).</summary>
    public double Beta { get; init; }

    /// <summary>Rule for the rejected response (bon, rbon-kl, rbon-wd). max-min always uses the worst.</summary>
    public RejectedRule Rejected { get; init; } = RejectedRule.Regularized;

    /// <summary>Seed for <see cref="RejectedRule.Random"/>.</summary>
    public int Seed { get; init; }

    /// <summary>Keep a pair only if R_c − R_r &gt; MinMargin (default 0 drops ties and inversions).</summary>
    public double MinMargin { get; init; }

    /// <summary>Number of runners-up paired with the best in next-k (LASeR uses 10).</summary>
    public int NextK { get; init; } = 10;

    /// <summary>RBoN-WD: exclude the diagonal from the row mean (only matters when N varies, §1.5). Default false = include it, as the reference code does.</summary>
    public bool ExcludeSelfSimilarity { get; init; }

    /// <summary>
    /// RBoN: z-score the rewards across the N candidates before adding β·P ([EXT], §1.3), so one β means
    /// the same strength whatever the reward model's scale. Margins stay in raw reward units. Default false.
    /// </summary>
    public bool StandardizeRewards { get; init; }

    public SelectorOptions Validate()
    {
        if (!PairSelectorFactory.Names.Contains(Selector))
        {
            throw new ArgumentException($"Selector.Selector '{Selector}' is unknown; use one of {string.Join(", ", PairSelectorFactory.Names)}.");
        }
        if (!(Beta >= 0) || double.IsInfinity(Beta))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "Selector.Beta must be a finite number >= 0 (0 is plain best-of-N).");
        }
        if (double.IsNaN(MinMargin) || double.IsInfinity(MinMargin))
        {
            throw new ArgumentOutOfRangeException(nameof(MinMargin), MinMargin, "Selector.MinMargin must be finite (default 0).");
        }
        if (NextK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NextK), NextK, "Selector.NextK must be >= 1 (LASeR uses 10).");
        }
        return this;
    }
}
