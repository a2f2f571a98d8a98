using System.Text;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// Turns one line of the tagged Brown corpus (`The/at jury/nn said/vbd ./.`) into a readable sentence:
/// tags stripped, punctuation attached to the word before it, quotes and brackets attached inward,
/// and the corpus's special tokens (the `**` escapes it uses for Greek letters and symbols) dropped.
/// </summary>
public static class BrownDetokenizer
{
    /// <summary>The word of a `word/tag` token: everything before the last '/' (words such as `1/2` contain slashes).</summary>
    public static string StripTag(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var slash = token.LastIndexOf('/');
        return slash > 0 ? token[..slash] : token;
    }

    /// <summary>True for tokens the corpus uses as markup rather than text.</summary>
    public static bool IsSpecial(string word) => word.Contains("**", StringComparison.Ordinal) || word.Length == 0;

    /// <summary>The readable sentence of one tagged line, or "" when nothing readable is left.</summary>
    public static string Sentence(string taggedLine)
    {
        ArgumentNullException.ThrowIfNull(taggedLine);
        var words = taggedLine.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(StripTag)
            .Where(w => !IsSpecial(w))
            .ToList();
        return Join(words);
    }

    /// <summary>Joins words with single spaces, except where punctuation attaches to a neighbour.</summary>
    public static string Join(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var sb = new StringBuilder();
        var glueNext = false;
        var singleQuoteOpen = false;
        foreach (var raw in words)
        {
            // The corpus writes double quotes as `` and ''; plain ASCII quotes keep the byte model's alphabet small.
            var w = raw switch
            {
                "``" or "''" => "\"",
                _ => raw,
            };
            bool attachLeft, attachRight;
            if (raw == "``")
            {
                (attachLeft, attachRight) = (false, true);
            }
            else if (raw == "''")
            {
                (attachLeft, attachRight) = (true, false);
            }
            else if (raw == "'")
            {
                // A lone single quote opens and closes in turn within a sentence.
                singleQuoteOpen = !singleQuoteOpen;
                (attachLeft, attachRight) = singleQuoteOpen ? (false, true) : (true, false);
            }
            else if (raw is "(" or "[")
            {
                (attachLeft, attachRight) = (false, true);
            }
            else if (raw is "," or "." or ";" or ":" or "?" or "!" or ")" or "]")
            {
                (attachLeft, attachRight) = (true, false);
            }
            else
            {
                (attachLeft, attachRight) = (false, false);
            }
            if (sb.Length > 0 && !attachLeft && !glueNext)
            {
                sb.Append(' ');
            }
            sb.Append(w);
            glueNext = attachRight;
        }
        return sb.ToString().Trim();
    }
}
