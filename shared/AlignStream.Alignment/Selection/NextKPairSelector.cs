using System.Globalization;

namespace AlignStream.Alignment.Selection;

/// <summary>
/// LASeR's best-vs-next-k pairing, per prompt (ALGORITHMS.md §3.2): rank by reward (descending, ties by
/// lower index), then pair rank 1 with ranks 2..k+1. Pairs whose margin is not above MinMargin
/// (equal scores by default) are dropped; the prompt is skipped if none remain.
/// </summary>
public sealed class NextKPairSelector : IPairSelector
{
    private readonly SelectorOptions _options;

    public NextKPairSelector(SelectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    public string Name => "next-k";

    public SelectionResult Select(SelectionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Rewards;
        SelectionChecks.Finite(r, "reward");
        if (SelectionChecks.TooSmall(r.Count) is { } reason)
        {
            return SelectionResult.Skipped(reason);
        }
        var order = Enumerable.Range(0, r.Count).OrderByDescending(i => r[i]).ThenBy(i => i).ToArray();
        var best = order[0];
        var pairs = new List<SelectedPair>();
        for (var j = 1; j < order.Length && j <= _options.NextK; j++)
        {
            var margin = r[best] - r[order[j]];
            if (margin > _options.MinMargin)
            {
                pairs.Add(new SelectedPair(best, order[j], margin));
            }
        }
        return pairs.Count > 0
            ? SelectionResult.Of(pairs)
            : SelectionResult.Skipped(string.Create(CultureInfo.InvariantCulture, $"no runner-up is more than {_options.MinMargin:R} below the best candidate {best}"));
    }
}
