namespace AlignStream.Cli.Hosting;

/// <summary>Summaries the `bench loop` and `bench swap` reports share: nearest-rank quantiles, maxima, rounding to JSON.</summary>
internal static class BenchStats
{
    /// <summary>The nearest-rank <paramref name="q"/>-quantile of <paramref name="values"/> (any order); NaN when empty.</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    }

    /// <summary>The largest value; NaN when empty.</summary>
    public static double Max(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Max();

    /// <summary>Rounded for the report, or null (JSON null) when not finite, e.g. a statistic of no measurements.</summary>
    public static double? Round(double v, int digits = 4) => double.IsFinite(v) ? Math.Round(v, digits) : null;
}
