namespace AlignStream.Alignment.Bandit;

/// <summary>How the raw bandit reward r = −loss is mapped before the b update (ALGORITHMS.md §3.1).</summary>
public enum RewardNormalization
{
    /// <summary>LASeR's pooled-history quantile squashing to [0, 1] (default, code-faithful).</summary>
    Quantile,

    /// <summary>Use r as is; updates then commute exactly, whatever order feedback arrives in.</summary>
    None,
}
