using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Toxicity penalty [toxicity] from the naughty-words English list: every whole-word, case-insensitive
/// occurrence of a listed term (multi-word terms included) costs <see cref="PenaltyPerHit"/>, capped at
/// <see cref="MaxPenalty"/>; the score is −penalty, so a clean response scores 0 and, with the defaults,
/// any offensive term gives −1. Text and terms are cut into the same tokens (runs of letters and digits,
/// and every other non-space character on its own), so matching is whole-word: "class" does not match
/// "ass", while "ball   gag" matches "ball gag". At each position the longest listed term wins and
/// matches do not overlap.
/// </summary>
public sealed class ToxicityRewardModel : IRewardModel
{
    public const string ModelName = "toxicity";
    private const string Package = "naughty-words";

    private readonly HashSet<string> _terms = new(StringComparer.Ordinal);
    private readonly int _maxTermTokens;

    public ToxicityRewardModel(IEnumerable<string> terms, string dataVersion, double penaltyPerHit = 1.0, double maxPenalty = 1.0)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (!(penaltyPerHit > 0) || !(maxPenalty > 0) || double.IsInfinity(maxPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(penaltyPerHit), "Toxicity.PenaltyPerHit and Toxicity.MaxPenalty must be finite numbers > 0 (defaults 1 and 1).");
        }
        var list = terms.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("the toxicity term list is empty; re-run `./align setup` to refetch naughty-words.", nameof(terms));
        }
        TermCount = list.Length;
        foreach (var term in list)
        {
            var tokens = Tokens(term);
            _terms.Add(string.Join(' ', tokens));
            _maxTermTokens = Math.Max(_maxTermTokens, tokens.Count);
        }
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
        var tokens = Tokens(text);
        var hits = 0;
        var key = new StringBuilder();
        for (var i = 0; i < tokens.Count;)
        {
            var matched = 0;
            for (var n = Math.Min(_maxTermTokens, tokens.Count - i); n >= 1 && matched == 0; n--)
            {
                key.Clear();
                for (var j = i; j < i + n; j++)
                {
                    if (j > i)
                    {
                        key.Append(' ');
                    }
                    key.Append(tokens[j]);
                }
                if (_terms.Contains(key.ToString()))
                {
                    matched = n;
                }
            }
            hits += matched > 0 ? 1 : 0;
            i += Math.Max(1, matched);
        }
        return hits;
    }

    /// <summary>Lower-cased tokens: runs of letters/digits, and each other non-space character (a surrogate pair counts as one).</summary>
    internal static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (char.IsLetterOrDigit(text, i))
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text, i) || char.IsLowSurrogate(text[i])))
                {
                    i += char.IsSurrogatePair(text, i) ? 2 : 1;
                }
                tokens.Add(text[start..i].ToLower(CultureInfo.InvariantCulture));
                continue;
            }
            var width = char.IsSurrogatePair(text, i) ? 2 : 1;
            tokens.Add(text.Substring(i, width));
            i += width;
        }
        return tokens;
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
