using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Toxicity penalty [toxicity] from the naughty-words English list: every whole-word, case-insensitive
/// occurrence of a listed term (multi-word terms included) costs <see cref="PenaltyPerHit"/>, capped at
/// <see cref="MaxPenalty"/>; the score is −penalty, so a clean response scores 0 and, with the defaults,
/// any offensive term gives −1. "Whole word" means no letter or digit directly before or after the term,
/// so "class" does not match "ass".
/// </summary>
public sealed class ToxicityRewardModel : IRewardModel
{
    public const string ModelName = "toxicity";
    private const string Package = "naughty-words";

    private readonly Regex _pattern;

    public ToxicityRewardModel(IEnumerable<string> terms, string dataVersion, double penaltyPerHit = 1.0, double maxPenalty = 1.0)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (!(penaltyPerHit > 0) || !(maxPenalty > 0) || double.IsInfinity(maxPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(penaltyPerHit), "Toxicity.PenaltyPerHit and Toxicity.MaxPenalty must be finite numbers > 0 (defaults 1 and 1).");
        }
        var list = terms.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal).ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("the toxicity term list is empty; re-run `./align setup` to refetch naughty-words.", nameof(terms));
        }
        TermCount = list.Length;
        // Longest terms first so "2 girls 1 cup" wins over any shorter overlapping entry; whitespace inside a term matches any run of whitespace.
        var alternation = string.Join('|', list.Select(t => Regex.Escape(t).Replace(@"\ ", @"\s+", StringComparison.Ordinal)));
        _pattern = new Regex($@"(?<![\p{{L}}\p{{N}}])(?:{alternation})(?![\p{{L}}\p{{N}}])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
        PenaltyPerHit = penaltyPerHit;
        MaxPenalty = maxPenalty;
        Version = $"1+{Package}@{dataVersion}";
    }

    public string Name => ModelName;

    public string Version { get; }

    public int TermCount { get; }

    public double PenaltyPerHit { get; }

    public double MaxPenalty { get; }

    /// <summary>Loads en.json from the data cache root.</summary>
    public static ToxicityRewardModel Load(string dataRoot, double penaltyPerHit = 1.0, double maxPenalty = 1.0)
    {
        var path = DataFolder.File(dataRoot, Package, "en.json");
        var terms = JsonSerializer.Deserialize<string[]>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"'{path}' is not a JSON array of strings; re-run `./align setup`.");
        return new ToxicityRewardModel(terms, DataFolder.PackageVersion(dataRoot, Package), penaltyPerHit, maxPenalty);
    }

    /// <summary>Number of listed-term occurrences in the text.</summary>
    public int Hits(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _pattern.Matches(text).Count;
    }

    /// <summary>−min(MaxPenalty, hits·PenaltyPerHit).</summary>
    public double Score(string text) => -Math.Min(MaxPenalty, Hits(text) * PenaltyPerHit);

    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scores = new float[batch.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[i] = (float)Score(batch[i].Response);
        }
        return Task.FromResult(scores);
    }
}
