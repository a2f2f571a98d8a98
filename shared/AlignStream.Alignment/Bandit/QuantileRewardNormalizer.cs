namespace AlignStream.Alignment.Bandit;

/// <summary>
/// LASeR's bandit reward squashing (ALGORITHMS.md §3.1) as a pure function, for callers that keep the
/// pooled history elsewhere (e.g. in a shared state store): H' = prior history + r; fewer than two
/// values → r unchanged; else 0 below P_low(H'), 1 above P_high(H'), linear in between, and 0.5 when
/// P_low = P_high ([EXT] guard against the reference code's division by zero).
/// </summary>
public static class QuantileRewardNormalizer
{
    /// <param name="priorHistory">Raw rewards seen before this one (NOT including <paramref name="raw"/>).</param>
    /// <param name="raw">The new raw reward r = −loss.</param>
    /// <param name="lowPercentile">Lower percentile, default 20.</param>
    /// <param name="highPercentile">Upper percentile, default 80.</param>
    public static double Normalize(IEnumerable<double> priorHistory, double raw, double lowPercentile = 20, double highPercentile = 80)
    {
        ArgumentNullException.ThrowIfNull(priorHistory);
        var history = priorHistory.Append(raw).ToArray();
        if (history.Length < 2)
        {
            return raw;
        }
        var lo = Percentile.Linear(history, lowPercentile);
        var hi = Percentile.Linear(history, highPercentile);
        if (hi == lo)
        {
            return 0.5;
        }
        if (raw < lo)
        {
            return 0.0;
        }
        if (raw > hi)
        {
            return 1.0;
        }
        return (raw - lo) / (hi - lo);
    }
}
