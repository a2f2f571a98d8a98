namespace AlignStream.Engine.Tokenization;

/// <summary>
/// Pre-tokenizer regular expressions (in .NET syntax) that split text into words before BPE.
/// Note: .NET matches on UTF-16 code units, so letters outside the Basic Multilingual Plane are treated
/// as "other" characters; this only affects rare scripts.
/// </summary>
public static class PreTokenizerPatterns
{
    /// <summary>GPT-2 byte-level split: contractions, optional-space letter runs, digit runs, punctuation runs, whitespace.</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama-3 split: case-insensitive contractions, one leading non-letter before letters, digits in groups of up to three, newlines kept with punctuation.</summary>
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
}
