using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.Tests.Tokenization;

public class ByteTokenizerTests
{
    private readonly ByteTokenizer _tok = ByteTokenizer.Instance;

    [Fact]
    public void VocabularyLayoutIsTheDocumentedConstant()
    {
        Assert.Equal(260, _tok.VocabSize);
        Assert.Equal(256, _tok.BosId);
        Assert.Equal(257, _tok.EosId);
        Assert.Equal(258, _tok.PadId);
        Assert.Equal(259, _tok.SepId);
        Assert.Equal(257, _tok.SpecialTokens["<|eos|>"]);
        Assert.True(_tok.IsSpecial(256));
        Assert.False(_tok.IsSpecial(255));
    }

    [Fact]
    public void EncodesUtf8Bytes()
    {
        // "h\u00e9llo \u20ac": é is C3 A9, € is E2 82 AC.
        Assert.Equal([104, 0xC3, 0xA9, 108, 108, 111, 32, 0xE2, 0x82, 0xAC], _tok.Encode("h\u00e9llo \u20ac"));
        Assert.Empty(_tok.Encode(""));
        // Special-token text typed by a user is plain bytes, never a control token.
        Assert.Equal(7, _tok.Encode("<|eos|>").Length);
    }

    [Fact]
    public void DecodeRoundTripsAndRendersSpecials()
    {
        var r = new Random(3);
        for (var n = 0; n < 200; n++)
        {
            var chars = Enumerable.Range(0, r.Next(0, 30)).Select(_ => (char)r.Next(32, 0xD7FF)).ToArray();
            var s = new string(chars);
            Assert.Equal(s, _tok.Decode(_tok.Encode(s)));
        }

        int[] ids = [256, 104, 105, 257, 258];
        Assert.Equal("<|bos|>hi<|eos|><|pad|>", _tok.Decode(ids));
        Assert.Equal("hi", _tok.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void InvalidUtf8BecomesReplacementCharacters()
    {
        Assert.Equal("\uFFFDA", _tok.Decode([0xFF, 0x41]));
        Assert.Equal("a\uFFFD", _tok.Decode([0x61, 0xC3])); // truncated two-byte sequence
        Assert.Equal("\uFFFD<|eos|>", _tok.Decode([0xE2, 0x82, 257])); // a special token cuts a sequence
        Assert.Equal("a\uFFFD\uFFFD", _tok.Decode([0x61, 260, -1])); // ids past the vocabulary: placeholder, no exception
    }
}
