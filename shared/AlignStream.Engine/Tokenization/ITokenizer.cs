namespace AlignStream.Engine.Tokenization;

/// <summary>Text to token ids and back. Implementations are immutable and safe to share across threads.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids, including special tokens (ids are 0..VocabSize-1).</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, when the tokenizer has one.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id, when the tokenizer has one.</summary>
    int? EosId { get; }

    /// <summary>Padding id, when the tokenizer has one.</summary>
    int? PadId { get; }

    /// <summary>Special tokens by their text form (e.g. "&lt;|eos|&gt;").</summary>
    IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Encodes text to ids. No BOS/EOS is added; callers that want them prepend/append the ids.</summary>
    int[] Encode(string text);

    /// <summary>
    /// Decodes ids to text. Invalid UTF-8 byte sequences become U+FFFD rather than throwing.
    /// Special tokens are written as their text form unless <paramref name="skipSpecialTokens"/>.
    /// </summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>Whether <paramref name="id"/> is a special (added/control) token.</summary>
    bool IsSpecial(int id);
}
