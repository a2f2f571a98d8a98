namespace AlignStream.Alignment.Bandit;

/// <summary>Percentiles with linear interpolation between order statistics (numpy's default, ALGORITHMS.md convention 5).</summary>
public static class Percentile
{
    /// <summary>P_q of the values for q in [0, 100]: pos = (n−1)·q/100, interpolated between the neighbours of pos.</summary>
    public static double Linear(IEnumerable<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!(q >= 0 && q <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "percentile must be in [0, 100].");
        }
        var s = values.ToArray();
        if (s.Length == 0)
        {
            throw new ArgumentException("percentile of an empty list is undefined.", nameof(values));
        }
        Array.Sort(s);
        var pos = (s.Length - 1) * q / 100.0;
        var lo = (int)Math.Floor(pos);
        var hi = (int)Math.Ceiling(pos);
        return s[lo] + ((s[hi] - s[lo]) * (pos - lo));
    }
}
