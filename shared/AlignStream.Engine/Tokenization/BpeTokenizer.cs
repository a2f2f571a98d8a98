using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tokenization;

/// <summary>
/// Byte-level BPE read from a Hugging Face <c>tokenizer.json</c> (GPT-2, Llama-3, Qwen style):
/// added tokens are matched first, the rest is split by the pre-tokenizer regex (ByteLevel's GPT-2 regex
/// or a Split step such as Llama-3's), mapped through the byte-level alphabet and merged by rank.
/// Merge results are cached per word. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Supported: model.type "BPE" with merges as "a b" strings or [a, b] pairs, <c>ignore_merges</c>,
/// <c>unk_token</c>, <c>fuse_unk</c>; pre_tokenizer ByteLevel, Split (Isolated/Removed, inverted or not) or a Sequence of them; normalizer null;
/// added tokens with lstrip/rstrip. Anything else is rejected when loading with a message naming the field.
/// </remarks>
public sealed class BpeTokenizer : ITokenizer
{
    private const int MaxCacheEntries = 200_000;

    private static readonly string[] BosNames = ["<|begin_of_text|>", "<|bos|>", "<s>", "<|startoftext|>"];
    private static readonly string[] EosNames = ["<|end_of_text|>", "<|endoftext|>", "<|eos|>", "</s>", "<|im_end|>"];
    private static readonly string[] PadNames = ["<|pad|>", "<pad>", "<|finetune_right_pad_id|>"];

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _idToToken;
    private readonly Dictionary<(string Left, string Right), int> _mergeRanks;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly Regex? _addedRegex;
    private readonly IReadOnlyList<PreTokenizerStep> _steps;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly string? _unkToken;
    private readonly bool _fuseUnk;
    private readonly Dictionary<string, int> _specials;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private BpeTokenizer(
        string sourceJson,
        Dictionary<string, int> vocab,
        Dictionary<(string, string), int> mergeRanks,
        AddedToken[] added,
        IReadOnlyList<PreTokenizerStep> steps,
        bool ignoreMerges,
        (int Id, string Token)? unk,
        bool fuseUnk,
        int? bosId,
        int? eosId)
    {
        SourceJson = sourceJson;
        _vocab = vocab;
        _mergeRanks = mergeRanks;
        foreach (var a in added)
        {
            // A repeated id or content keeps its first entry, as a later duplicate cannot change what text means.
            _addedById.TryAdd(a.Id, a);
            _addedByContent.TryAdd(a.Content, a);
        }

        _steps = steps;
        _ignoreMerges = ignoreMerges;
        _unkId = unk?.Id;
        _unkToken = unk?.Token;
        _fuseUnk = fuseUnk;
        var maxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        foreach (var a in added)
        {
            maxId = Math.Max(maxId, a.Id);
        }

        VocabSize = maxId + 1;
        _idToToken = new string?[VocabSize];
        foreach (var (tok, id) in vocab)
        {
            _idToToken[id] = tok;
        }

        _specials = _addedByContent.Values.Where(a => a.Special).ToDictionary(a => a.Content, a => a.Id, StringComparer.Ordinal);
        if (added.Length > 0)
        {
            // Longest first so that, at one position, the longest added token wins (leftmost-longest).
            var alternatives = added.Select(a => a.Content).Distinct(StringComparer.Ordinal)
                .OrderByDescending(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).Select(Regex.Escape);
            _addedRegex = new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
        }

        BosId = bosId ?? FindByName(BosNames);
        EosId = eosId ?? FindByName(EosNames);
        PadId = FindByName(PadNames);
    }

    /// <summary>The tokenizer.json text this tokenizer was built from (written back when a checkpoint is saved).</summary>
    public string SourceJson { get; }

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <inheritdoc/>
    public int? PadId { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> SpecialTokens => _specials;

    /// <summary>Reads a tokenizer.json file. BOS/EOS ids default to well-known special token names when not given.</summary>
    public static BpeTokenizer FromJson(string path, int? bosId = null, int? eosId = null)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointFormatException(path, null, "file not found.");
        }

        return Parse(File.ReadAllText(path), path, bosId, eosId);
    }

    /// <summary>Parses tokenizer.json text; <paramref name="sourceName"/> is used in error messages.</summary>
    public static BpeTokenizer Parse(string json, string sourceName = "tokenizer.json", int? bosId = null, int? eosId = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(sourceName, null, $"not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(sourceName, "model", "missing; a Hugging Face tokenizer.json has a \"model\" object.");
            }

            var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != "BPE")
            {
                throw new CheckpointFormatException(sourceName, "model.type", $"is '{type}'; only byte-level \"BPE\" tokenizers are supported.");
            }

            if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind != JsonValueKind.Null)
            {
                throw new CheckpointFormatException(sourceName, "normalizer", "is set; byte-level BPE with a normalizer is not supported (expected null).");
            }

            foreach (var flag in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            {
                if (model.TryGetProperty(flag, out var f) && f.ValueKind == JsonValueKind.String && f.GetString()!.Length > 0)
                {
                    throw new CheckpointFormatException(sourceName, "model." + flag, "is set; only plain byte-level BPE is supported.");
                }
            }

            if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            {
                throw new CheckpointFormatException(sourceName, "model.byte_fallback", "is true (SentencePiece-style BPE); only byte-level BPE is supported.");
            }

            var vocab = ReadVocab(model, sourceName);
            var merges = ReadMerges(model, sourceName, vocab);
            var added = ReadAddedTokens(root, sourceName);
            var steps = ReadPreTokenizer(root, sourceName);
            var ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
            (int, string)? unk = null;
            if (model.TryGetProperty("unk_token", out var unkEl) && unkEl.ValueKind == JsonValueKind.String)
            {
                var unkText = unkEl.GetString()!;
                if (!vocab.TryGetValue(unkText, out var unkId))
                {
                    throw new CheckpointFormatException(sourceName, "model.unk_token", $"'{unkText}' is not in model.vocab; add it or set unk_token to null.");
                }

                unk = (unkId, unkText);
            }

            var fuseUnk = model.TryGetProperty("fuse_unk", out var fu) && fu.ValueKind == JsonValueKind.True;
            return new BpeTokenizer(json, vocab, merges, added, steps, ignoreMerges, unk, fuseUnk, bosId, eosId);
        }
    }

    /// <summary>The id of a vocabulary or added token, if present.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var a) ? a.Id : _vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>The vocabulary string of an id (byte-level alphabet, e.g. "Ġthe"), or the added token's content.</summary>
    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out var a) ? a.Content : (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var pos = 0;
        if (_addedRegex is not null)
        {
            foreach (Match m in _addedRegex.Matches(text))
            {
                var token = _addedByContent[m.Value];
                var start = m.Index;
                var end = m.Index + m.Length;
                if (token.LStrip)
                {
                    while (start > pos && char.IsWhiteSpace(text[start - 1]))
                    {
                        start--;
                    }
                }

                if (token.RStrip)
                {
                    while (end < text.Length && char.IsWhiteSpace(text[end]))
                    {
                        end++;
                    }
                }

                if (start < pos)
                {
                    continue; // swallowed by the previous token's rstrip
                }

                EncodeSegment(text.AsSpan(pos, start - pos), ids);
                ids.Add(token.Id);
                pos = end;
            }
        }

        EncodeSegment(text.AsSpan(pos), ids);
        return [.. ids];
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>(ids.Length * 3);
        Span<byte> tmp = stackalloc byte[4];
        foreach (var id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                Flush();
                if (!(skipSpecialTokens && added.Special))
                {
                    sb.Append(added.Content);
                }

                continue;
            }

            var token = (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
            if (token is null)
            {
                Flush();
                sb.Append('\uFFFD'); // unknown id: visible placeholder rather than an exception mid-stream
                continue;
            }

            foreach (var c in token)
            {
                if (ByteLevelAlphabet.TryCharToByte(c, out var b))
                {
                    bytes.Add(b);
                }
                else
                {
                    var n = Utf8.GetBytes([c], tmp);
                    for (var i = 0; i < n; i++)
                    {
                        bytes.Add(tmp[i]);
                    }
                }
            }
        }

        Flush();
        return sb.ToString();

        void Flush()
        {
            if (bytes.Count > 0)
            {
                sb.Append(Utf8.GetString([.. bytes]));
                bytes.Clear();
            }
        }
    }

    /// <inheritdoc/>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var a) && a.Special;

    private int? FindByName(string[] names)
    {
        foreach (var n in names)
        {
            if (TokenToId(n) is int id)
            {
                return id;
            }
        }

        return null;
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (segment.IsEmpty)
        {
            return;
        }

        List<string> pieces = [segment.ToString()];
        foreach (var step in _steps)
        {
            pieces = step.Apply(pieces);
        }

        foreach (var piece in pieces)
        {
            ids.AddRange(EncodeWord(piece));
        }
    }

    // piece is already in the byte-level alphabet.
    private int[] EncodeWord(string word)
    {
        if (_cache.TryGetValue(word, out var cached))
        {
            return cached;
        }

        int[] result;
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            result = [whole];
        }
        else
        {
            result = MergeWord(word);
        }

        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }

        _cache[word] = result;
        return result;
    }

    private int[] MergeWord(string word)
    {
        // As in Hugging Face, characters missing from the vocabulary are resolved before merging: they become
        // the unk token (consecutive ones fused when fuse_unk) or are dropped, so merges never span them.
        var parts = new List<string>(word.Length);
        var previousWasUnk = false;
        foreach (var c in word)
        {
            var symbol = c.ToString();
            if (_vocab.ContainsKey(symbol))
            {
                parts.Add(symbol);
                previousWasUnk = false;
            }
            else if (_unkToken is not null && !(previousWasUnk && _fuseUnk))
            {
                parts.Add(_unkToken);
                previousWasUnk = true;
            }
        }

        while (parts.Count > 1)
        {
            var bestRank = int.MaxValue;
            var best = -1;
            for (var i = 0; i < parts.Count - 1; i++)
            {
                if (_mergeRanks.TryGetValue((parts[i], parts[i + 1]), out var r) && r < bestRank)
                {
                    bestRank = r;
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            // Merge every occurrence of the best pair, left to right.
            var left = parts[best];
            var right = parts[best + 1];
            var merged = new List<string>(parts.Count);
            for (var i = 0; i < parts.Count;)
            {
                if (i < parts.Count - 1 && parts[i] == left && parts[i + 1] == right)
                {
                    merged.Add(left + right);
                    i += 2;
                }
                else
                {
                    merged.Add(parts[i]);
                    i++;
                }
            }

            parts = merged;
        }

        var ids = new int[parts.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            // Every symbol is a vocabulary entry: a seed character, the unk token, or a merge result
            // (merge results are checked against the vocabulary when loading).
            ids[i] = _vocab.TryGetValue(parts[i], out var id) ? id : _unkId!.Value;
        }

        return ids;
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, string source)
    {
        if (!model.TryGetProperty("vocab", out var v) || v.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointFormatException(source, "model.vocab", "missing or not an object of token to id.");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in v.EnumerateObject())
        {
            if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetInt32(out var id) || id < 0)
            {
                throw new CheckpointFormatException(source, "model.vocab", $"token '{e.Name}' has id {e.Value.GetRawText()}; ids must be non-negative integers.");
            }

            vocab[e.Name] = id;
        }

        return vocab;
    }

    private static Dictionary<(string, string), int> ReadMerges(JsonElement model, string source, Dictionary<string, int> vocab)
    {
        var ranks = new Dictionary<(string, string), int>();
        if (!model.TryGetProperty("merges", out var m) || m.ValueKind == JsonValueKind.Null)
        {
            return ranks;
        }

        if (m.ValueKind != JsonValueKind.Array)
        {
            throw new CheckpointFormatException(source, "model.merges", "must be an array.");
        }

        var rank = 0;
        foreach (var e in m.EnumerateArray())
        {
            string left, right;
            if (e.ValueKind == JsonValueKind.String)
            {
                var s = e.GetString()!;
                var space = s.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == s.Length - 1 || s.IndexOf(' ', space + 1) >= 0)
                {
                    throw new CheckpointFormatException(source, "model.merges", $"entry {rank} \"{s}\" must be two tokens separated by one space.");
                }

                left = s[..space];
                right = s[(space + 1)..];
            }
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2
                && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
            {
                left = e[0].GetString()!;
                right = e[1].GetString()!;
            }
            else
            {
                throw new CheckpointFormatException(source, "model.merges", $"entry {rank} must be \"a b\" or [\"a\", \"b\"], got {e.GetRawText()}.");
            }

            if (!vocab.ContainsKey(left + right))
            {
                throw new CheckpointFormatException(source, "model.merges", $"entry {rank} merges '{left}' + '{right}' into a token missing from model.vocab.");
            }

            ranks.TryAdd((left, right), rank);
            rank++;
        }

        return ranks;
    }

    private static AddedToken[] ReadAddedTokens(JsonElement root, string source)
    {
        if (!root.TryGetProperty("added_tokens", out var a) || a.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (a.ValueKind != JsonValueKind.Array)
        {
            throw new CheckpointFormatException(source, "added_tokens", "must be an array.");
        }

        var list = new List<AddedToken>();
        foreach (var e in a.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object
                || !e.TryGetProperty("id", out var idEl) || !idEl.TryGetInt32(out var id) || id < 0
                || !e.TryGetProperty("content", out var cEl) || cEl.ValueKind != JsonValueKind.String || cEl.GetString()!.Length == 0)
            {
                throw new CheckpointFormatException(source, "added_tokens", $"entry {e.GetRawText()} needs a non-negative \"id\" and a non-empty \"content\".");
            }

            list.Add(new AddedToken(id, cEl.GetString()!, Flag(e, "special"), Flag(e, "lstrip"), Flag(e, "rstrip")));
        }

        return [.. list];

        static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.True;
    }

    private static List<PreTokenizerStep> ReadPreTokenizer(JsonElement root, string source)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var p) || p.ValueKind == JsonValueKind.Null)
        {
            throw new CheckpointFormatException(source, "pre_tokenizer", "is missing; a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer.");
        }

        var steps = new List<PreTokenizerStep>();
        AddStep(p, "pre_tokenizer");
        if (steps.Count == 0 || steps[^1] is not ByteLevelStep)
        {
            throw new CheckpointFormatException(source, "pre_tokenizer", "must end with a ByteLevel step; only byte-level BPE tokenizers are supported.");
        }

        if (steps.Count(s => s is ByteLevelStep) != 1)
        {
            throw new CheckpointFormatException(source, "pre_tokenizer", "has more than one ByteLevel step.");
        }

        return steps;

        void AddStep(JsonElement e, string field)
        {
            var type = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "Sequence":
                    if (!e.TryGetProperty("pretokenizers", out var list) || list.ValueKind != JsonValueKind.Array)
                    {
                        throw new CheckpointFormatException(source, field + ".pretokenizers", "a Sequence needs a \"pretokenizers\" array.");
                    }

                    var i = 0;
                    foreach (var child in list.EnumerateArray())
                    {
                        AddStep(child, $"{field}.pretokenizers[{i++}]");
                    }

                    break;
                case "ByteLevel":
                    var prefix = e.TryGetProperty("add_prefix_space", out var ap) && ap.ValueKind == JsonValueKind.True;
                    var useRegex = !e.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
                    steps.Add(new ByteLevelStep(prefix, useRegex));
                    break;
                case "Split":
                    steps.Add(ReadSplit(e, field));
                    break;
                default:
                    throw new CheckpointFormatException(source, field + ".type", $"pre-tokenizer '{type}' is not supported; use ByteLevel, Split or a Sequence of them.");
            }
        }

        SplitStep ReadSplit(JsonElement e, string field)
        {
            if (!e.TryGetProperty("pattern", out var pat) || pat.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(source, field + ".pattern", "a Split needs {\"Regex\": ...} or {\"String\": ...}.");
            }

            string regex;
            if (pat.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
            {
                regex = r.GetString()!;
            }
            else if (pat.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String)
            {
                regex = Regex.Escape(s.GetString()!);
            }
            else
            {
                throw new CheckpointFormatException(source, field + ".pattern", "a Split needs {\"Regex\": ...} or {\"String\": ...}.");
            }

            // invert: the pattern matches the pieces to keep and the text between matches is the delimiter.
            var invert = e.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
            var behavior = e.TryGetProperty("behavior", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : "Isolated";
            if (behavior is not ("Isolated" or "Removed"))
            {
                throw new CheckpointFormatException(source, field + ".behavior", $"'{behavior}' is not supported; use Isolated or Removed.");
            }

            try
            {
                var removed = behavior == "Removed";
                return new SplitStep(new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Compiled), removeMatches: removed && !invert, removeGaps: removed && invert);
            }
            catch (ArgumentException ex)
            {
                throw new CheckpointFormatException(source, field + ".pattern", $"regex does not compile in .NET ({ex.Message}).", ex);
            }
        }
    }

    private sealed record AddedToken(int Id, string Content, bool Special, bool LStrip, bool RStrip);

    private abstract class PreTokenizerStep
    {
        public abstract List<string> Apply(List<string> pieces);

        protected static void SplitIsolated(Regex regex, string piece, bool removeMatches, bool removeGaps, List<string> output)
        {
            var pos = 0;
            foreach (Match m in regex.Matches(piece))
            {
                if (m.Index > pos && !removeGaps)
                {
                    output.Add(piece[pos..m.Index]);
                }

                if (!removeMatches && m.Length > 0)
                {
                    output.Add(m.Value);
                }

                pos = m.Index + m.Length;
            }

            if (pos < piece.Length && !removeGaps)
            {
                output.Add(piece[pos..]);
            }
        }
    }

    private sealed class SplitStep(Regex regex, bool removeMatches, bool removeGaps) : PreTokenizerStep
    {
        public override List<string> Apply(List<string> pieces)
        {
            var output = new List<string>(pieces.Count * 4);
            foreach (var piece in pieces)
            {
                SplitIsolated(regex, piece, removeMatches, removeGaps, output);
            }

            return output;
        }
    }

    private sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
    {
        private static readonly Regex Gpt2 = new(PreTokenizerPatterns.Gpt2, RegexOptions.CultureInvariant | RegexOptions.Compiled);

        public override List<string> Apply(List<string> pieces)
        {
            var split = new List<string>(pieces.Count * 4);
            foreach (var raw in pieces)
            {
                var piece = addPrefixSpace && !raw.StartsWith(' ') ? " " + raw : raw;
                if (useRegex)
                {
                    SplitIsolated(Gpt2, piece, removeMatches: false, removeGaps: false, split);
                }
                else
                {
                    split.Add(piece);
                }
            }

            for (var i = 0; i < split.Count; i++)
            {
                split[i] = ByteLevelAlphabet.Encode(Utf8.GetBytes(split[i]));
            }

            return split;
        }
    }
}
