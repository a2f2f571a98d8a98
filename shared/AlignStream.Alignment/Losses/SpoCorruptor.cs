using System.Text;
using System.Text.RegularExpressions;

namespace AlignStream.Alignment.Losses;

/// <summary>
/// SPO corruption (ALGORITHMS.md §2.1 steps 1–2): split a response into units, rank them by keyness
/// (content words, plus a bonus per content word shared with the prompt; ties to the earlier unit), and
/// build y^(k) by deleting the top-k units, for k = 0..K−1. Text is re-tokenised through the supplied
/// delegate, never spliced at the token level, so the variants look like ordinary model input.
/// Deterministic: the only randomness is the optional degree subsampling, which takes an explicit RNG.
/// </summary>
public sealed partial class SpoCorruptor
{
    /// <summary>A small English function-word list; it contains the six words of the spec's worked example.</summary>
    public static readonly IReadOnlySet<string> DefaultStopwords = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "by", "for", "with",
        "from", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that", "these",
        "those", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your", "his", "our",
        "their", "has", "have", "had", "do", "does", "did", "what", "which", "who", "whom", "how", "why", "when",
        "where", "not", "no", "can", "will", "would", "should", "could", "there", "here", "also", "just", "than",
    };

    private readonly SpoOptions _options;
    private readonly Func<string, int[]> _tokenize;
    private readonly IReadOnlySet<string> _stopwords;

    /// <param name="options">K, unit and keyness settings.</param>
    /// <param name="tokenize">The policy's tokenizer (text → token ids) used to re-tokenise every variant.</param>
    public SpoCorruptor(SpoOptions options, Func<string, int[]> tokenize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenize);
        _options = options.Validate();
        _tokenize = tokenize;
        _stopwords = options.Stopwords ?? DefaultStopwords;
    }

    /// <summary>
    /// Variants for degrees 0..K−1 (fewer when the response has fewer than K−1 units: only constructible
    /// degrees are returned, §2.3). Degree 0 is the original text.
    /// </summary>
    public IReadOnlyList<SpoVariant> Corrupt(string prompt, string response, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(response);
        var units = SplitUnits(response);
        var order = RankUnits(prompt, units);
        var maxDegree = Math.Min(_options.Classes - 1, units.Count);
        IEnumerable<int> degrees = Enumerable.Range(0, maxDegree + 1);
        if (_options.SubsampleOneDegree && maxDegree >= 1)
        {
            if (random is null)
            {
                throw new ArgumentNullException(nameof(random), "Spo.SubsampleOneDegree is on: pass a seeded Random so the choice is reproducible.");
            }
            degrees = [0, 1 + random.Next(maxDegree)];
        }
        var variants = new List<SpoVariant>();
        foreach (var k in degrees)
        {
            var removed = new HashSet<int>(order.Take(k));
            var kept = units.Where((_, i) => !removed.Contains(i));
            var text = string.Join(' ', kept);
            variants.Add(new SpoVariant(k, text, _tokenize(text)));
        }
        return variants;
    }

    /// <summary>Units of the response per <see cref="SpoOptions.Unit"/>, trimmed, empty ones dropped.</summary>
    public IReadOnlyList<string> SplitUnits(string response)
    {
        if (_options.Unit == SpoUnit.Word)
        {
            return response.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        }
        var sentences = Split(SentenceEnd(), response);
        if (sentences.Count >= _options.Classes - 1)
        {
            return sentences;
        }
        // Too few sentences for every degree: clauses give more, smaller units (§2.1 step 1).
        return Split(ClauseEnd(), response);
    }

    /// <summary>Unit indices from most to least key; ties keep the earlier unit first.</summary>
    public int[] RankUnits(string prompt, IReadOnlyList<string> units)
    {
        var promptWords = new HashSet<string>(Words(prompt).Where(w => !_stopwords.Contains(w)), StringComparer.Ordinal);
        var scores = new int[units.Count];
        for (var i = 0; i < units.Count; i++)
        {
            foreach (var w in Words(units[i]))
            {
                if (_stopwords.Contains(w))
                {
                    continue;
                }
                scores[i] += 1 + (promptWords.Contains(w) ? _options.PromptOverlapBonus : 0);
            }
        }
        return Enumerable.Range(0, units.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
    }

    /// <summary>Lower-cased words with punctuation removed (the spec's normalisation before scoring).</summary>
    internal static IEnumerable<string> Words(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c) || c == '_' || char.IsWhiteSpace(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }
        return sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static List<string> Split(Regex boundary, string text) =>
        boundary.Split(text).Select(u => u.Trim()).Where(u => u.Length > 0).ToList();

    // Split after sentence-final punctuation followed by whitespace; the punctuation stays with its sentence.
    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"(?<=[.!?,;:])\s+")]
    private static partial Regex ClauseEnd();
}
