using AlignStream.Alignment.Bandit;
using AlignStream.Engine.Sampling;

namespace AlignStream.Cli.Demo;

/// <summary>Paired percentile bootstrap of a mean difference over the same eval prompts (final − base, seeded).</summary>
public static class Bootstrap
{
    /// <summary>
    /// The 95% percentile interval of mean(after[i] − before[i]) over <paramref name="resamples"/> resamples of the
    /// prompt indices with replacement. Pairing by prompt removes the prompt-to-prompt spread from the interval.
    /// </summary>
    public static (double Low, double High) MeanDifferenceCi95(IReadOnlyList<double> before, IReadOnlyList<double> after, int resamples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Count != after.Count || before.Count < 2)
        {
            throw new ArgumentException($"need two equally long score lists of at least 2 prompts (got {before.Count} and {after.Count})");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        var n = before.Count;
        var diff = new double[n];
        for (var i = 0; i < n; i++)
        {
            diff[i] = after[i] - before[i];
        }
        var rng = new Xoshiro256(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += diff[rng.NextInt(n)];
            }
            means[r] = sum / n;
        }
        return (Percentile.Linear(means, 2.5), Percentile.Linear(means, 97.5));
    }
}
