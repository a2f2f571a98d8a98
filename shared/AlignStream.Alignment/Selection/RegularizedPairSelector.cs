using System.Globalization;
using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Selection;

/// <summary>
/// Best-of-N and regularized best-of-N pair selection (ALGORITHMS.md §1.1, §1.4):
/// chosen c = argmax_i [R_i + β·P_i]; rejected by <see cref="RejectedRule"/>; kept when R_c − R_r &gt; MinMargin.
/// With <see cref="Proximity.None"/> and the worst rule this is RLHFlow's max-min. Ties go to the lowest index.
/// </summary>
public sealed class RegularizedPairSelector : IPairSelector
{
    private readonly SelectorOptions _options;
    private readonly Proximity _proximity;
    private readonly RejectedRule _rejected;
    private readonly Random _random;

    public RegularizedPairSelector(string name, Proximity proximity, SelectorOptions options, RejectedRule? rejectedOverride = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options.Validate();
        _proximity = proximity;
        _rejected = rejectedOverride ?? options.Rejected;
        _random = new Random(options.Seed);
    }

    public string Name { get; }

    public SelectionResult Select(SelectionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Rewards;
        var n = r.Count;
        SelectionChecks.Finite(r, "reward");
        if (SelectionChecks.TooSmall(n) is { } reason)
        {
            return SelectionResult.Skipped(reason);
        }
        var p = Proximities(input, n);
        var beta = _options.Beta;
        var scaled = _options.StandardizeRewards ? Standardize(r) : r;
        var scores = new double[n];
        for (var i = 0; i < n; i++)
        {
            scores[i] = scaled[i] + (beta * p[i]);
        }
        var chosen = Numerics.ArgMax(scores);
        var rejected = PickRejected(scaled, p, chosen);
        var margin = r[chosen] - r[rejected];
        if (!(margin > _options.MinMargin))
        {
            return SelectionResult.Skipped(string.Create(CultureInfo.InvariantCulture, $"margin {margin:R} between chosen {chosen} and rejected {rejected} is not above the minimum {_options.MinMargin:R}"));
        }
        return SelectionResult.Of(new SelectedPair(chosen, rejected, margin));
    }

    /// <summary>(R − mean)/std across the group; a constant group maps to zeros.</summary>
    private static double[] Standardize(IReadOnlyList<double> r)
    {
        var mean = r.Average();
        var std = Math.Sqrt(r.Sum(x => (x - mean) * (x - mean)) / r.Count);
        return r.Select(x => std > 0 ? (x - mean) / std : 0.0).ToArray();
    }

    private double[] Proximities(SelectionInput input, int n) => _proximity switch
    {
        Proximity.None => new double[n],
        Proximity.ReferenceLogprob => SelectionChecks.RefLogprobs(input, n).ToArray(),
        Proximity.MeanSimilarity => SelectionChecks.MeanSimilarity(input, n, _options.ExcludeSelfSimilarity),
        _ => throw new InvalidOperationException($"unknown proximity {_proximity}"),
    };

    private int PickRejected(IReadOnlyList<double> r, double[] p, int chosen)
    {
        var n = r.Count;
        switch (_rejected)
        {
            case RejectedRule.Random:
                {
                    int k;
                    lock (_random)
                    {
                        // One seeded stream shared by concurrent callers; the lock keeps Random's state consistent.
                        k = _random.Next(n - 1);
                    }
                    return k >= chosen ? k + 1 : k;
                }
            case RejectedRule.Worst:
                {
                    var best = -1;
                    for (var i = 0; i < n; i++)
                    {
                        if (i != chosen && (best < 0 || r[i] < r[best]))
                        {
                            best = i;
                        }
                    }
                    return best;
                }
            default:
                {
                    var best = -1;
                    var bestScore = double.NegativeInfinity;
                    for (var i = 0; i < n; i++)
                    {
                        var s = -r[i] + (_options.Beta * p[i]);
                        if (i != chosen && (best < 0 || s > bestScore))
                        {
                            best = i;
                            bestScore = s;
                        }
                    }
                    return best;
                }
        }
    }
}
