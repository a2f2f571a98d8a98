using System.Text;

namespace AlignStream.Engine.Tokenization;

/// <summary>
/// The built-in byte-level tokenizer: ids 0..255 are the UTF-8 bytes of the text, followed by four
/// specials <c>&lt;|bos|&gt;</c>=256, <c>&lt;|eos|&gt;</c>=257, <c>&lt;|pad|&gt;</c>=258,
/// <c>&lt;|sep|&gt;</c>=259, so the vocabulary is <see cref="VocabSizeConstant"/> = 260.
/// Special-token text inside the input is encoded as plain bytes (no injection of control tokens from user text).
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    /// <summary>Vocabulary size of the byte tokenizer: 256 bytes plus 4 specials.</summary>
    public const int VocabSizeConstant = 260;

    /// <summary>Id of &lt;|bos|&gt;.</summary>
    public const int BosIdConstant = 256;

    /// <summary>Id of &lt;|eos|&gt;.</summary>
    public const int EosIdConstant = 257;

    /// <summary>Id of &lt;|pad|&gt;.</summary>
    public const int PadIdConstant = 258;

    /// <summary>Id of &lt;|sep|&gt;.</summary>
    public const int SepIdConstant = 259;

    private static readonly string[] SpecialText = ["<|bos|>", "<|eos|>", "<|pad|>", "<|sep|>"];

    private static readonly Dictionary<string, int> Specials = new(StringComparer.Ordinal)
    {
        [SpecialText[0]] = BosIdConstant,
        [SpecialText[1]] = EosIdConstant,
        [SpecialText[2]] = PadIdConstant,
        [SpecialText[3]] = SepIdConstant,
    };

    // UTF8 with replacement fallback: invalid sequences decode to U+FFFD instead of throwing.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The shared instance (the tokenizer has no state).</summary>
    public static ByteTokenizer Instance { get; } = new();

    /// <inheritdoc/>
    public int VocabSize => VocabSizeConstant;

    /// <inheritdoc/>
    public int? BosId => BosIdConstant;

    /// <inheritdoc/>
    public int? EosId => EosIdConstant;

    /// <inheritdoc/>
    public int? PadId => PadIdConstant;

    /// <summary>Id of &lt;|sep|&gt; (separates prompt and response in some record formats).</summary>
    public int SepId => SepIdConstant;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> SpecialTokens => Specials;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var count = Utf8.GetByteCount(text);
        var bytes = count <= 1024 ? stackalloc byte[count] : new byte[count];
        Utf8.GetBytes(text, bytes);
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = bytes[i];
        }

        return ids;
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder(ids.Length);
        var pending = new List<byte>(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id < 256u)
            {
                pending.Add((byte)id);
                continue;
            }

            Flush();
            if (id >= VocabSizeConstant || id < 0)
            {
                // A model whose vocabulary is padded past 260 can emit such ids; show them, never fail mid-stream.
                sb.Append('\uFFFD');
            }
            else if (!skipSpecialTokens)
            {
                sb.Append(SpecialText[id - 256]);
            }
        }

        Flush();
        return sb.ToString();

        void Flush()
        {
            if (pending.Count > 0)
            {
                sb.Append(Utf8.GetString([.. pending]));
                pending.Clear();
            }
        }
    }

    /// <inheritdoc/>
    public bool IsSpecial(int id) => id >= 256 && id < VocabSizeConstant;
}
