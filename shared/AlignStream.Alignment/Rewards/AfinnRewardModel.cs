using System.Globalization;
using System.Text.RegularExpressions;

namespace AlignStream.Alignment.Rewards;

/// <summary>
/// AFINN-165 lexicon sentiment [afinn]: the sum of the valences (−5..+5) of the lexicon words and
/// phrases in the response (longest phrase first, up to three words; no negation handling, as AFINN
/// has none). With <c>perWord</c> the sum is divided by the number of words, so long texts are not
/// favoured. The lexicon is read from the afinn-165 package's JavaScript module, which is a plain
/// object literal of `word: valence` lines.
/// </summary>
public sealed partial class AfinnRewardModel : IRewardModel
{
    public const string ModelName = "afinn";
    private const string Package = "afinn-165";
    private const int MaxPhraseWords = 3;

    private readonly Dictionary<string, int> _lexicon;
    private readonly bool _perWord;

    public AfinnRewardModel(IReadOnlyDictionary<string, int> lexicon, string dataVersion, bool perWord = false)
    {
        ArgumentNullException.ThrowIfNull(lexicon);
        _lexicon = new Dictionary<string, int>(lexicon, StringComparer.Ordinal);
        _perWord = perWord;
        Version = $"1+{Package}@{dataVersion}{(perWord ? "+per-word" : string.Empty)}";
    }

    public string Name => ModelName;

    public string Version { get; }

    public int LexiconSize => _lexicon.Count;

    /// <summary>Loads the lexicon from the data cache root.</summary>
    public static AfinnRewardModel Load(string dataRoot, bool perWord = false)
    {
        var path = DataFolder.File(dataRoot, Package, "index.js");
        var lexicon = ParseLexicon(File.ReadLines(path));
        if (lexicon.Count == 0)
        {
            throw new InvalidDataException($"no `word: valence` entries found in '{path}'; re-run `./align setup` to refetch {Package}.");
        }
        return new AfinnRewardModel(lexicon, DataFolder.PackageVersion(dataRoot, Package), perWord);
    }

    /// <summary>Parses `word: 3,` / `'two words': -2,` / `"can't stand": -3,` lines; other lines are ignored.</summary>
    public static Dictionary<string, int> ParseLexicon(IEnumerable<string> lines)
    {
        var lexicon = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var m = EntryPattern().Match(line);
            if (!m.Success)
            {
                continue;
            }
            var key = m.Groups["sq"].Success ? m.Groups["sq"].Value : m.Groups["dq"].Success ? m.Groups["dq"].Value : m.Groups["id"].Value;
            lexicon[key.ToLowerInvariant()] = int.Parse(m.Groups["v"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        return lexicon;
    }

    /// <summary>The AFINN score of one text.</summary>
    public double Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = WordTokenizer.Words(text);
        var sum = 0;
        for (var i = 0; i < words.Length;)
        {
            var matched = 1;
            for (var n = Math.Min(MaxPhraseWords, words.Length - i); n >= 1; n--)
            {
                var key = n == 1 ? words[i] : string.Join(' ', words, i, n);
                if (_lexicon.TryGetValue(key, out var v))
                {
                    sum += v;
                    matched = n;
                    break;
                }
            }
            i += matched;
        }
        return _perWord ? (words.Length == 0 ? 0.0 : (double)sum / words.Length) : sum;
    }

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

    [GeneratedRegex(@"^\s*(?:'(?<sq>[^']*)'|""(?<dq>[^""]*)""|(?<id>[\p{L}\p{N}_$]+))\s*:\s*(?<v>-?\d+)\s*,?\s*$")]
    private static partial Regex EntryPattern();
}
