namespace AlignStream.Alignment.Selection;

/// <summary>Builds DPO preference pairs from one prompt's scored candidates (ALGORITHMS.md §1, §3.2).</summary>
public interface IPairSelector
{
    /// <summary>The CLI/config name: bon, max-min, rbon-kl, rbon-wd, next-k.</summary>
    string Name { get; }

    /// <summary>
    /// Selects pairs. Empty or single-candidate groups and pairs within the minimum margin are skipped
    /// with a reason; non-finite inputs throw <see cref="ArgumentException"/> naming the candidate.
    /// </summary>
    SelectionResult Select(SelectionInput input);
}
