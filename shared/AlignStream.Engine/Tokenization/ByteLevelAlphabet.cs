namespace AlignStream.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table used by byte-level BPE: printable Latin-1 bytes map to
/// themselves, the remaining 68 bytes (controls, space, etc.) map to U+0100 onwards in byte order, so every
/// byte string becomes a string of visible characters that vocabularies and merges can spell.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildTable();
    private static readonly Dictionary<char, byte> CharToByteTable = BuildReverse();

    /// <summary>The character standing for <paramref name="b"/>.</summary>
    public static char ByteToChar(byte b) => ByteToCharTable[b];

    /// <summary>The byte a character stands for; false for characters outside the table.</summary>
    public static bool TryCharToByte(char c, out byte b) => CharToByteTable.TryGetValue(c, out b);

    /// <summary>Maps UTF-8 bytes to their byte-level string.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                span[i] = ByteToCharTable[src[i]];
            }
        });
    }

    private static bool IsSelfMapped(int b) => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            table[b] = IsSelfMapped(b) ? (char)b : (char)next++;
        }

        return table;
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var d = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
        {
            d[ByteToCharTable[b]] = (byte)b;
        }

        return d;
    }
}
