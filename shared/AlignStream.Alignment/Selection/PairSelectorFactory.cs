namespace AlignStream.Alignment.Selection;

/// <summary>Creates a selector from <see cref="SelectorOptions.Selector"/>.</summary>
public static class PairSelectorFactory
{
    /// <summary>Every accepted selector name.</summary>
    public static readonly IReadOnlySet<string> Names = new SortedSet<string>(StringComparer.Ordinal) { "bon", "max-min", "rbon-kl", "rbon-wd", "next-k" };

    public static IPairSelector Create(SelectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Selector switch
        {
            "bon" => new RegularizedPairSelector("bon", Proximity.None, options),
            "max-min" => new RegularizedPairSelector("max-min", Proximity.None, options, RejectedRule.Worst),
            "rbon-kl" => new RegularizedPairSelector("rbon-kl", Proximity.ReferenceLogprob, options),
            "rbon-wd" => new RegularizedPairSelector("rbon-wd", Proximity.MeanSimilarity, options),
            "next-k" => new NextKPairSelector(options),
            _ => throw new ArgumentException($"unknown selector '{options.Selector}'; use one of {string.Join(", ", Names)}."),
        };
    }
}
