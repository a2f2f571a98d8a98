using System.Globalization;

namespace AlignStream.Alignment.Rewards;

/// <summary>
/// VADER-style sentiment [vader]: the vader-sentiment lexicon (mean ratings, −4..+4) with VADER's
/// documented rules, re-implemented here: degree modifiers within three words (±0.293, fading to 95 %
/// and 90 % with distance), ALL-CAPS emphasis when the text mixes cases (±0.733), negation within three
/// words (×−0.74, also contractions ending in n't), "kind of"-style two-word dampeners, "least", the
/// contrastive "but" (×0.5 before, ×1.5 after), and '!'/'?' amplification. The compound score is
/// x/√(x²+15), in [−1, 1]. Idiom special cases of the original are not reproduced.
/// </summary>
public sealed class VaderRewardModel : IRewardModel
{
    public const string ModelName = "vader";
    private const string Package = "vader-sentiment";

    // Empirical constants published with VADER (Hutto & Gilbert 2014).
    private const double BoosterStep = 0.293;
    private const double CapsStep = 0.733;
    private const double NegationScale = -0.74;
    private const double BeforeButScale = 0.5;
    private const double AfterButScale = 1.5;
    private const double ExclamationStep = 0.292;
    private const double QuestionStep = 0.18;
    private const double ManyQuestions = 0.96;
    private const double NormalizationAlpha = 15.0;

    private static readonly HashSet<string> Boosters = new(StringComparer.Ordinal)
    {
        "absolutely", "amazingly", "awfully", "completely", "considerably", "decidedly", "deeply", "effing", "enormously",
        "entirely", "especially", "exceptionally", "extremely", "fabulously", "flipping", "flippin", "frigging", "friggin",
        "fully", "fucking", "greatly", "hella", "highly", "hugely", "incredibly", "intensely", "majorly", "more", "most",
        "particularly", "purely", "quite", "really", "remarkably", "so", "substantially", "thoroughly", "totally",
        "tremendously", "uber", "unbelievably", "unusually", "utterly", "very",
    };

    private static readonly HashSet<string> Dampeners = new(StringComparer.Ordinal)
    {
        "almost", "barely", "hardly", "kinda", "kindof", "less", "little", "marginally", "occasionally", "partly",
        "scarcely", "slightly", "somewhat", "sorta", "sortof",
    };

    private static readonly HashSet<string> DampenerPhrases = new(StringComparer.Ordinal) { "kind of", "sort of", "just enough" };

    private static readonly HashSet<string> Negators = new(StringComparer.Ordinal)
    {
        "not", "never", "neither", "nor", "none", "nobody", "nothing", "nowhere", "nope", "cannot", "without", "rarely", "seldom",
        "aint", "arent", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt",
        "mustnt", "neednt", "oughtnt", "shant", "shouldnt", "wasnt", "werent", "wont", "wouldnt", "darent", "despite",
    };

    private readonly Dictionary<string, double> _lexicon;

    public VaderRewardModel(IReadOnlyDictionary<string, double> lexicon, string dataVersion)
    {
        ArgumentNullException.ThrowIfNull(lexicon);
        _lexicon = new Dictionary<string, double>(lexicon, StringComparer.Ordinal);
        Version = $"1+{Package}@{dataVersion}";
    }

    public string Name => ModelName;

    public string Version { get; }

    public int LexiconSize => _lexicon.Count;

    /// <summary>Loads vader_lexicon.txt (token TAB mean TAB std TAB ratings) from the data cache root.</summary>
    public static VaderRewardModel Load(string dataRoot)
    {
        var path = DataFolder.File(dataRoot, Package, "vader_lexicon.txt");
        var lexicon = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split('\t');
            if (fields.Length >= 2 && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                // Keys stay as written (lookups use the lower-cased token, so "LOL" is never read and "lol" is);
                // a key listed twice keeps its later value.
                lexicon[fields[0]] = v;
            }
        }
        if (lexicon.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no lexicon entries; re-run `./align setup` to refetch {Package}.");
        }
        return new VaderRewardModel(lexicon, DataFolder.PackageVersion(dataRoot, Package));
    }

    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scores = new float[batch.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[i] = (float)Compound(batch[i].Response);
        }
        return Task.FromResult(scores);
    }

    /// <summary>The compound score of one text, in [−1, 1].</summary>
    public double Compound(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Tokens(text);
        var lower = words.Select(w => w.ToLowerInvariant()).ToArray();
        var upperCount = words.Count(IsAllCaps);
        // Capitals only signal emphasis when the text also has lower-case words (otherwise it is just shouting everywhere).
        var capsDiffer = upperCount > 0 && upperCount < words.Length;
        var sentiments = new double[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            sentiments[i] = Valence(words, lower, i, capsDiffer);
        }
        ApplyBut(lower, sentiments);
        var sum = sentiments.Sum();
        var emphasis = Punctuation(text);
        if (sum > 0)
        {
            sum += emphasis;
        }
        else if (sum < 0)
        {
            sum -= emphasis;
        }
        return Math.Clamp(sum / Math.Sqrt((sum * sum) + NormalizationAlpha), -1.0, 1.0);
    }

    private double Valence(string[] words, string[] lower, int i, bool capsDiffer)
    {
        var w = lower[i];
        if (Boosters.Contains(w) || Dampeners.Contains(w))
        {
            return 0.0;
        }
        if (w == "kind" && i + 1 < lower.Length && lower[i + 1] == "of")
        {
            return 0.0;
        }
        if (!_lexicon.TryGetValue(w, out var v))
        {
            return 0.0;
        }
        if (w == "no" && i + 1 < lower.Length && _lexicon.ContainsKey(lower[i + 1]))
        {
            // "no" before a sentiment word acts as a negator, not as a negative word.
            return 0.0;
        }
        if ((i > 0 && lower[i - 1] == "no") || (i > 1 && lower[i - 2] == "no"))
        {
            v *= NegationScale;
        }
        if (capsDiffer && IsAllCaps(words[i]))
        {
            v += v > 0 ? CapsStep : -CapsStep;
        }
        for (var distance = 1; distance <= 3 && i - distance >= 0; distance++)
        {
            var j = i - distance;
            if (_lexicon.ContainsKey(lower[j]))
            {
                // A sentiment word in between carries its own valence; it is not a modifier of this one.
                continue;
            }
            var fade = distance switch { 1 => 1.0, 2 => 0.95, _ => 0.9 };
            v += ModifierScalar(words[j], lower[j], v, capsDiffer) * fade;
            if (IsNegator(lower[j]))
            {
                v *= NegationScale;
            }
            if (distance == 3 && DampenerPhrases.Contains($"{lower[i - 2]} {lower[i - 1]}"))
            {
                v += v >= 0 ? -BoosterStep : BoosterStep;
            }
        }
        if (i > 0 && lower[i - 1] == "least" && !_lexicon.ContainsKey("least") && !(i > 1 && lower[i - 2] is "at" or "very"))
        {
            v *= NegationScale;
        }
        return v;
    }

    private static double ModifierScalar(string word, string lower, double valence, bool capsDiffer)
    {
        double scalar;
        if (Boosters.Contains(lower))
        {
            scalar = BoosterStep;
        }
        else if (Dampeners.Contains(lower))
        {
            scalar = -BoosterStep;
        }
        else
        {
            return 0.0;
        }
        if (valence < 0)
        {
            scalar = -scalar;
        }
        if (capsDiffer && IsAllCaps(word))
        {
            scalar += valence > 0 ? CapsStep : -CapsStep;
        }
        return scalar;
    }

    private static void ApplyBut(string[] lower, double[] sentiments)
    {
        var but = Array.IndexOf(lower, "but");
        if (but < 0)
        {
            return;
        }
        for (var i = 0; i < sentiments.Length; i++)
        {
            if (i < but)
            {
                sentiments[i] *= BeforeButScale;
            }
            else if (i > but)
            {
                sentiments[i] *= AfterButScale;
            }
        }
    }

    private static double Punctuation(string text)
    {
        var exclamations = Math.Min(4, text.Count(c => c == '!'));
        var questions = text.Count(c => c == '?');
        var q = questions <= 1 ? 0.0 : questions <= 3 ? questions * QuestionStep : ManyQuestions;
        return (exclamations * ExclamationStep) + q;
    }

    private static bool IsNegator(string lower) => Negators.Contains(lower) || lower.Contains("n't", StringComparison.Ordinal);

    /// <summary>Whitespace tokens with surrounding punctuation removed, unless that leaves ≤ 2 characters (keeps emoticons such as ":)").</summary>
    internal static string[] Tokens(string text)
    {
        var raw = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var tokens = new string[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var stripped = raw[i].Trim(PunctuationChars);
            tokens[i] = stripped.Length <= 2 ? raw[i] : stripped;
        }
        return tokens;
    }

    private static readonly char[] PunctuationChars = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".ToCharArray();

    /// <summary>At least one cased letter and no lower-case letter.</summary>
    private static bool IsAllCaps(string word)
    {
        var cased = false;
        foreach (var c in word)
        {
            if (char.IsLower(c))
            {
                return false;
            }
            cased |= char.IsUpper(c);
        }
        return cased;
    }
}
