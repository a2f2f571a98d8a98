using System.Text.RegularExpressions;

namespace AlignStream.Alignment.Rewards;

/// <summary>Lower-cased word tokens (letters, digits, inner apostrophes and hyphens) for the lexicon models.</summary>
internal static partial class WordTokenizer
{
    public static string[] Words(string text) =>
        WordPattern().Matches(text).Select(m => m.Value.Trim('\'', '-').ToLowerInvariant()).Where(w => w.Length > 0).ToArray();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'’\-]*")]
    private static partial Regex WordPattern();
}
