using System.Security.Cryptography;
using AlignStream.Engine.IO;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.Tests.IO;

public class CheckpointFolderTests
{
    private static LlamaConfig SmallConfig(bool tied = false) => new()
    {
        VocabSize = 20,
        HiddenSize = 8,
        IntermediateSize = 12,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 1,
        MaxPositionEmbeddings = 16,
        TieWordEmbeddings = tied,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    private static List<TensorToWrite> RandomTensors(LlamaConfig c, int seed)
    {
        var r = new Random(seed);
        return c.ParameterNames().Select(p =>
        {
            var v = new float[p.ElementCount];
            for (var i = 0; i < v.Length; i++)
            {
                v[i] = (float)r.NextDouble() - 0.5f;
            }

            return new TensorToWrite(p.Name, p.Shape, v);
        }).ToList();
    }

    [Fact]
    public void LoadsATorchWrittenBf16GqaCheckpoint()
    {
        var dir = Path.Combine(IoTestFiles.TestData, "tiny_llama_bf16");
        var expected = IoTestFiles.Expected("tiny_llama_bf16/model.safetensors");
        using var ckpt = CheckpointFolder.Load(dir);
        Assert.Equal(2, ckpt.Config.NumAttentionHeads);
        Assert.Equal(1, ckpt.Config.NumKeyValueHeads);
        Assert.Equal(500000.0, ckpt.Config.RopeTheta);
        Assert.Equal([2, 3], ckpt.Config.EosTokenIds);
        Assert.Equal(12, ckpt.Parameters.Count);

        // Per tensor, and all at once into one contiguous buffer in canonical order.
        var all = new float[ckpt.Parameters.Sum(p => p.ElementCount)];
        ckpt.ReadAllInto(all);
        var offset = 0;
        foreach (var p in ckpt.Parameters)
        {
            var (shape, values) = expected[p.Name];
            Assert.Equal(shape, p.Shape);
            var one = new float[p.ElementCount];
            ckpt.ReadInto(p.Name, one);
            Assert.Equal(values, one);
            Assert.Equal(values, all.AsSpan(offset, one.Length).ToArray());
            offset += one.Length;
        }

        Assert.IsType<ByteTokenizer>(ckpt.LoadTokenizer());
    }

    [Fact]
    public void SaveThenLoadRoundTripsAndReturnsTheFileHash()
    {
        using var scratch = new ScratchDir();
        var dir = Path.Combine(scratch.Path, "model");
        var config = SmallConfig();
        var tensors = RandomTensors(config, 5);
        var sha = CheckpointFolder.Save(dir, config, tensors);

        using (var s = File.OpenRead(Path.Combine(dir, "model.safetensors")))
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(s)), sha);
        }

        Assert.False(File.Exists(Path.Combine(dir, "tokenizer.json")));
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Single(Directory.GetDirectories(scratch.Path)); // no temporary folder left behind

        using var back = CheckpointFolder.Load(dir);
        Assert.Equal(config.ToString(), back.Config.ToString());
        foreach (var t in tensors)
        {
            var dest = new float[t.Data.Length];
            back.ReadInto(t.Name, dest);
            Assert.Equal(t.Data.ToArray(), dest);
        }
    }

    [Fact]
    public void SavingAContiguousBufferEqualsSavingTheTensorList()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var tensors = RandomTensors(config, 11);
        var contiguous = tensors.SelectMany(t => t.Data.ToArray()).ToArray();
        var a = CheckpointFolder.Save(Path.Combine(scratch.Path, "a"), config, tensors);
        var b = CheckpointFolder.Save(Path.Combine(scratch.Path, "b"), config, contiguous.AsMemory());
        Assert.Equal(a, b);
    }

    [Fact]
    public void SaveReplacesAnExistingFolderWhole()
    {
        using var scratch = new ScratchDir();
        var dir = Path.Combine(scratch.Path, "model");
        var config = SmallConfig();
        CheckpointFolder.Save(dir, config, RandomTensors(config, 1));
        File.WriteAllText(Path.Combine(dir, "stale.txt"), "old");
        var second = RandomTensors(config, 2);
        CheckpointFolder.Save(dir, config, second);
        Assert.False(File.Exists(Path.Combine(dir, "stale.txt")));
        Assert.Single(Directory.GetDirectories(scratch.Path));
        using var back = CheckpointFolder.Load(dir);
        var dest = new float[second[0].Data.Length];
        back.ReadInto(second[0].Name, dest);
        Assert.Equal(second[0].Data.ToArray(), dest);
    }

    [Fact]
    public void SaveWritesTheBpeTokenizerAndTheLoaderPicksItUp()
    {
        using var scratch = new ScratchDir();
        var dir = Path.Combine(scratch.Path, "model");
        var config = SmallConfig();
        var bpe = BpeTokenizer.Parse(TinyBpeJson);
        CheckpointFolder.Save(dir, config, RandomTensors(config, 3), bpe);
        Assert.Equal(TinyBpeJson, File.ReadAllText(Path.Combine(dir, "tokenizer.json")));
        var loaded = TokenizerLoader.ForModelFolder(dir);
        Assert.IsType<BpeTokenizer>(loaded);
        Assert.Equal([3, 0], loaded.Encode("aba"));
        Assert.Equal(2, loaded.EosId); // taken from config.json

        var small = Path.Combine(scratch.Path, "small");
        CheckpointFolder.Save(small, config with { VocabSize = 3, EosTokenIds = [2] }, RandomTensors(config with { VocabSize = 3, EosTokenIds = [2] }, 3), bpe);
        var e = Assert.Throws<CheckpointFormatException>(() => TokenizerLoader.ForModelFolder(small));
        Assert.Contains("vocab_size 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveRejectsTensorsThatDoNotMatchTheConfig()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var tensors = RandomTensors(config, 1);
        var missing = Assert.Throws<ArgumentException>(() => CheckpointFolder.Save(scratch.File("m"), config, tensors.Skip(1)));
        Assert.Contains("model.embed_tokens.weight", missing.Message, StringComparison.Ordinal);
        tensors[0] = new TensorToWrite(tensors[0].Name, [8, 20], tensors[0].Data);
        var shape = Assert.Throws<ArgumentException>(() => CheckpointFolder.Save(scratch.File("s"), config, tensors));
        Assert.Contains("[20, 8]", shape.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(scratch.Path));
    }

    [Fact]
    public void MissingTensorNamesFileTensorAndExpectedShape()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var dir = WriteFolder(scratch, config, RandomTensors(config, 1).Where(t => t.Name != "model.layers.1.mlp.up_proj.weight"));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(dir));
        Assert.Equal("model.layers.1.mlp.up_proj.weight", e.Item);
        Assert.Contains(Path.Combine(dir, "model.safetensors"), e.Message, StringComparison.Ordinal);
        Assert.Contains("[12, 8]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingLmHeadSuggestsTying()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var dir = WriteFolder(scratch, config, RandomTensors(config, 1).Where(t => t.Name != "lm_head.weight"));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(dir));
        Assert.Contains("tie_word_embeddings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongShapeNamesExpectedAndActual()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var tensors = RandomTensors(config, 1);
        var i = tensors.FindIndex(t => t.Name == "model.layers.0.self_attn.k_proj.weight");
        tensors[i] = new TensorToWrite(tensors[i].Name, [8, 4], tensors[i].Data);
        var dir = WriteFolder(scratch, config, tensors);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(dir));
        Assert.Equal("model.layers.0.self_attn.k_proj.weight", e.Item);
        Assert.Contains("[4, 8]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[8, 4]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnexpectedTensorsAreErrorsExceptKnownHarmlessOnes()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var withBias = RandomTensors(config, 1).Append(new TensorToWrite("model.layers.0.self_attn.q_proj.bias", [8], new float[8]));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(WriteFolder(scratch, config, withBias, "bias")));
        Assert.Equal("model.layers.0.self_attn.q_proj.bias", e.Item);

        // Tied config, file still carries lm_head.weight plus a rotary buffer: accepted, lm_head ignored.
        var tied = SmallConfig(tied: true);
        var extras = RandomTensors(config, 1).Append(new TensorToWrite("model.rotary_emb.inv_freq", [2], new float[2]));
        using var ok = CheckpointFolder.Load(WriteFolder(scratch, tied, extras, "tied"));
        Assert.DoesNotContain(ok.Parameters, p => p.Name == "lm_head.weight");
    }

    [Fact]
    public void MissingFilesAndBadConfigAreReported()
    {
        using var scratch = new ScratchDir();
        var nowhere = Path.Combine(scratch.Path, "nowhere");
        Assert.Contains(nowhere, Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(nowhere)).Message, StringComparison.Ordinal);

        var noWeights = Path.Combine(scratch.Path, "noweights");
        Directory.CreateDirectory(noWeights);
        File.WriteAllText(Path.Combine(noWeights, "config.json"), SmallConfig().ToJson());
        var w = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(noWeights));
        Assert.Contains(Path.Combine(noWeights, "model.safetensors"), w.Message, StringComparison.Ordinal);

        var noConfig = Path.Combine(scratch.Path, "noconfig");
        Directory.CreateDirectory(noConfig);
        var c = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(noConfig));
        Assert.Contains(Path.Combine(noConfig, "config.json"), c.Message, StringComparison.Ordinal);

        var dir = WriteFolder(scratch, SmallConfig(), RandomTensors(SmallConfig(), 1), "unknown");
        File.WriteAllText(Path.Combine(dir, "config.json"), SmallConfig().ToJson().Replace("\"use_cache\"", "\"sliding_window\": 4096, \"use_cache\"", StringComparison.Ordinal));
        var u = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(dir));
        Assert.Equal("sliding_window", u.Item);
        using var lenient = CheckpointFolder.Load(dir, strictConfig: false);
    }

    [Fact]
    public void LoadsShardedCheckpoints()
    {
        using var scratch = new ScratchDir();
        var config = SmallConfig();
        var tensors = RandomTensors(config, 7);
        var dir = Path.Combine(scratch.Path, "sharded");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        var first = tensors.Take(10).ToList();
        var second = tensors.Skip(10).ToList();
        SafeTensorsWriter.Write(Path.Combine(dir, "model-00001-of-00002.safetensors"), first);
        SafeTensorsWriter.Write(Path.Combine(dir, "model-00002-of-00002.safetensors"), second);
        var map = string.Join(",\n", first.Select(t => $"\"{t.Name}\": \"model-00001-of-00002.safetensors\"")
            .Concat(second.Select(t => $"\"{t.Name}\": \"model-00002-of-00002.safetensors\"")));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {" + map + "}}");

        using (var ckpt = CheckpointFolder.Load(dir))
        {
            var all = new float[ckpt.Parameters.Sum(p => p.ElementCount)];
            ckpt.ReadAllInto(all);
            Assert.Equal(tensors.SelectMany(t => t.Data.ToArray()), all);
        }

        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Load(dir));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors.index.json", e.Message, StringComparison.Ordinal);
    }

    // Byte-level BPE over "a", "b", "ab" with one merge; used to check tokenizer.json travels with a checkpoint.
    internal const string TinyBpeJson = """
        {"version": "1.0", "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
         "decoder": {"type": "ByteLevel"},
         "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "<|eos|>": 2, "ab": 3}, "merges": ["a b"]}}
        """;

    private static string WriteFolder(ScratchDir scratch, LlamaConfig config, IEnumerable<TensorToWrite> tensors, string name = "model")
    {
        var dir = Path.Combine(scratch.Path, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }
}
