namespace AlignStream.Alignment.Selection;

/// <summary>
/// The outcome for one prompt: one or more pairs (best-vs-next-k gives several), or a skip with its reason.
/// </summary>
public sealed record SelectionResult
{
    private SelectionResult(IReadOnlyList<SelectedPair> pairs, string? skipReason)
    {
        Pairs = pairs;
        SkipReason = skipReason;
    }

    public IReadOnlyList<SelectedPair> Pairs { get; }

    /// <summary>Why no pair was produced; null when <see cref="Pairs"/> is non-empty.</summary>
    public string? SkipReason { get; }

    public bool IsSkipped => SkipReason is not null;

    public static SelectionResult Of(params SelectedPair[] pairs) =>
        pairs.Length == 0 ? throw new ArgumentException("use Skipped(reason) for an empty result", nameof(pairs)) : new(pairs, null);

    public static SelectionResult Of(IReadOnlyList<SelectedPair> pairs) =>
        pairs.Count == 0 ? throw new ArgumentException("use Skipped(reason) for an empty result", nameof(pairs)) : new(pairs, null);

    public static SelectionResult Skipped(string reason) => new([], reason);
}
