using System.Text.RegularExpressions;
using AlignStream.Engine.IO;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.Tests.Tokenization;

public class BpeTokenizerTests
{
    // Hand-made byte-level BPE. Byte-level spelling: 'Ġ' is the space byte 0x20, 'Ã' is 0xC3, '©' is 0xA9.
    // Expected ids below are worked out by hand from the merge ranks (lowest rank merges first).
    private const string Vocab = """
        "h": 0, "e": 1, "l": 2, "o": 3, "w": 4, "r": 5, "d": 6, "Ġ": 7,
        "he": 8, "ll": 9, "llo": 10, "hello": 11, "Ġw": 12, "or": 13, "Ġwor": 14, "ld": 15,
        "1": 17, "2": 18, "3": 19, "4": 20, "5": 21, "12": 22, "34": 23, "345": 24, "123": 25, "45": 26,
        "Ã": 27, "©": 28, "ole": 29, "!": 30, "<unk>": 32
        """;

    private const string MergesAsStrings = """
        "h e", "l l", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d", "3 4", "1 2", "34 5", "12 3", "4 5"
        """;

    private const string MergesAsPairs = """
        ["h", "e"], ["l", "l"], ["ll", "o"], ["he", "llo"], ["Ġ", "w"], ["o", "r"], ["Ġw", "or"], ["l", "d"],
        ["3", "4"], ["1", "2"], ["34", "5"], ["12", "3"], ["4", "5"]
        """;

    private const string AddedTokens = """
        [{"id": 16, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 31, "content": "<|sep|>", "special": true, "rstrip": true}]
        """;

    private const string ByteLevelPre = """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""";

    private static string Llama3Pre => """
        {"type": "Sequence", "pretokenizers": [
          {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": false},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
        """.Replace("PATTERN", System.Text.Json.JsonSerializer.Serialize(PreTokenizerPatterns.Llama3), StringComparison.Ordinal);

    private static string Json(string merges = MergesAsStrings, string? pre = null, bool ignoreMerges = false, string unk = "null", bool fuseUnk = false) => $$"""
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": {{AddedTokens}}, "normalizer": null,
         "pre_tokenizer": {{pre ?? ByteLevelPre}},
         "post_processor": null, "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
         "model": {"type": "BPE", "dropout": null, "unk_token": {{unk}}, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                   "fuse_unk": {{(fuseUnk ? "true" : "false")}}, "byte_fallback": false, "ignore_merges": {{(ignoreMerges ? "true" : "false")}},
                   "vocab": { {{Vocab}} }, "merges": [ {{merges}} ] }
        }
        """;

    [Fact]
    public void MergesByRank()
    {
        var tok = BpeTokenizer.Parse(Json());
        // "hello" -> he l l o -> he ll o -> he llo -> hello; " world" -> Ġw o r l d -> Ġw or l d -> Ġwor l d -> Ġwor ld.
        Assert.Equal([11, 14, 15], tok.Encode("hello world"));
        Assert.Equal(33, tok.VocabSize);
        Assert.Equal("hello world", tok.Decode([11, 14, 15]));
    }

    [Fact]
    public void ArrayFormMergesGiveTheSameResult()
    {
        var a = BpeTokenizer.Parse(Json());
        var b = BpeTokenizer.Parse(Json(MergesAsPairs));
        foreach (var text in new[] { "hello world", "12345", "hello<|endoftext|> world", "ole" })
        {
            Assert.Equal(a.Encode(text), b.Encode(text));
        }
    }

    [Fact]
    public void AddedTokensAreMatchedBeforePreTokenizing()
    {
        var tok = BpeTokenizer.Parse(Json());
        Assert.Equal([11, 16, 14, 15], tok.Encode("hello<|endoftext|> world"));
        Assert.Equal(16, tok.EosId); // recognized by name
        Assert.True(tok.IsSpecial(16));
        Assert.Equal("hello<|endoftext|> world", tok.Decode([11, 16, 14, 15]));
        Assert.Equal("hello world", tok.Decode([11, 16, 14, 15], skipSpecialTokens: true));
        // rstrip: the spaces after <|sep|> belong to the token.
        Assert.Equal([11, 31, 11], tok.Encode("hello<|sep|>   hello"));
        Assert.Equal(16, tok.SpecialTokens["<|endoftext|>"]);
    }

    [Fact]
    public void Gpt2AndLlama3SplitsDifferOnDigits()
    {
        // GPT-2 keeps "12345" as one word: 1 2 3 4 5 -> 1 2 34 5 -> 12 34 5 -> 12 345.
        Assert.Equal([22, 24], BpeTokenizer.Parse(Json()).Encode("12345"));
        // Llama-3 splits digits in threes: "123" -> 12 3 -> 123; "45" -> 45.
        Assert.Equal([25, 26], BpeTokenizer.Parse(Json(pre: Llama3Pre)).Encode("12345"));
    }

    [Fact]
    public void Gpt2PatternSplitsAsExpected()
    {
        var gpt2 = new Regex(PreTokenizerPatterns.Gpt2);
        Assert.Equal(["Hello", " world", "'s", " 2024", "!!", " ", " ok", "\n"], gpt2.Matches("Hello world's 2024!!  ok\n").Select(m => m.Value));
        Assert.Equal(["IT", "'", "S"], gpt2.Matches("IT'S").Select(m => m.Value));
    }

    [Fact]
    public void Llama3PatternSplitsAsExpected()
    {
        var llama3 = new Regex(PreTokenizerPatterns.Llama3);
        Assert.Equal(["Hello", " world", "'s", " ", "202", "4", "!!", " ", " ok", "\n"], llama3.Matches("Hello world's 2024!!  ok\n").Select(m => m.Value));
        Assert.Equal(["IT", "'S"], llama3.Matches("IT'S").Select(m => m.Value));
        Assert.Equal(["x", ".\n\n", "y"], llama3.Matches("x.\n\ny").Select(m => m.Value));
    }

    [Fact]
    public void MultiByteCharactersAndInvalidBytes()
    {
        var tok = BpeTokenizer.Parse(Json());
        Assert.Equal([27, 28], tok.Encode("\u00e9")); // é = C3 A9 -> "Ã©"
        Assert.Equal("\u00e9", tok.Decode([27, 28]));
        Assert.Equal("\uFFFD", tok.Decode([28])); // a lone continuation byte
        Assert.Equal("\uFFFD", tok.Decode([999])); // unknown id: placeholder, no exception
    }

    [Fact]
    public void IgnoreMergesTakesWholeWordsFromTheVocabulary()
    {
        // "ole" has no merge path (o l e), but is in the vocabulary.
        Assert.Equal([3, 2, 1], BpeTokenizer.Parse(Json()).Encode("ole"));
        Assert.Equal([29], BpeTokenizer.Parse(Json(ignoreMerges: true)).Encode("ole"));
    }

    [Fact]
    public void SymbolsMissingFromTheVocabularyAreResolvedBeforeMerging()
    {
        // No unk token: 'x' is dropped first, so "he" + "llo" still merge across it.
        Assert.Equal([11], BpeTokenizer.Parse(Json()).Encode("hellox"));
        Assert.Equal([11], BpeTokenizer.Parse(Json()).Encode("hexllo"));
        // With an unk token each unknown character is one <unk> that blocks merges: he <unk> <unk> llo.
        Assert.Equal([8, 32, 32, 10], BpeTokenizer.Parse(Json(unk: "\"<unk>\"")).Encode("hexxllo"));
        // fuse_unk folds consecutive unknowns into one.
        Assert.Equal([8, 32, 10], BpeTokenizer.Parse(Json(unk: "\"<unk>\"", fuseUnk: true)).Encode("hexxllo"));
        var e = Assert.Throws<CheckpointFormatException>(() => BpeTokenizer.Parse(Json(unk: "\"[UNK]\"")));
        Assert.Equal("model.unk_token", e.Item);
    }

    [Fact]
    public void ReadsFromFileAndCachesConsistently()
    {
        var path = Path.Combine(Path.GetTempPath(), "bpe-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, Json());
        try
        {
            var tok = BpeTokenizer.FromJson(path, bosId: 30);
            Assert.Equal(30, tok.BosId);
            var first = tok.Encode("hello world hello world");
            var second = tok.Encode("hello world hello world");
            // " hello" -> Ġ h e l l o -> ... -> Ġ hello (no "Ġ hello" merge).
            Assert.Equal([11, 14, 15, 7, 11, 14, 15], first);
            Assert.Equal(first, second);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DuplicateAddedTokensKeepTheFirstEntry()
    {
        var json = Json().Replace("{\"id\": 31, \"content\": \"<|sep|>\"", "{\"id\": 16, \"content\": \"<|dup|>\"}, {\"id\": 31, \"content\": \"<|sep|>\"", StringComparison.Ordinal);
        Assert.NotEqual(Json(), json);
        var tok = BpeTokenizer.Parse(json);
        Assert.Equal("<|endoftext|>", tok.Decode([16]));
        Assert.Equal([16], tok.Encode("<|dup|>"));
    }

    [Theory]
    [InlineData("\"type\": \"BPE\"", "\"type\": \"WordPiece\"", "model.type")]
    [InlineData("\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}", "normalizer")]
    [InlineData("\"byte_fallback\": false", "\"byte_fallback\": true", "model.byte_fallback")]
    [InlineData("\"h e\",", "\"h e x\",", "model.merges")]
    [InlineData("\"h e\",", "\"q z\",", "model.merges")]
    [InlineData("\"type\": \"ByteLevel\", \"add_prefix_space\": false", "\"type\": \"Metaspace\", \"add_prefix_space\": false", "pre_tokenizer.type")]
    public void RejectsUnsupportedTokenizers(string find, string replace, string field)
    {
        var json = Json().Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Json(), json);
        var e = Assert.Throws<CheckpointFormatException>(() => BpeTokenizer.Parse(json, "m/tokenizer.json"));
        Assert.Equal(field, e.Item);
        Assert.Contains("m/tokenizer.json", e.Message, StringComparison.Ordinal);
    }
}
