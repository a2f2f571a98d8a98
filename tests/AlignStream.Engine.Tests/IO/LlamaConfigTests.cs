using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tests.IO;

public class LlamaConfigTests
{
    // A config as transformers 4.4x writes it for a small Llama, extras included.
    private const string HfConfig = """
        {
          "_name_or_path": "tiny",
          "architectures": ["LlamaForCausalLM"],
          "attention_bias": false,
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 64,
          "initializer_range": 0.02,
          "intermediate_size": 172,
          "max_position_embeddings": 128,
          "mlp_bias": false,
          "model_type": "llama",
          "num_attention_heads": 8,
          "num_hidden_layers": 3,
          "num_key_value_heads": 2,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": null,
          "rope_theta": 500000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.44.2",
          "use_cache": true,
          "vocab_size": 300
        }
        """;

    [Fact]
    public void ParsesHuggingFaceConfigWithHarmlessExtras()
    {
        var c = LlamaConfig.Parse(HfConfig, "hf/config.json");
        Assert.Equal(300, c.VocabSize);
        Assert.Equal(64, c.HiddenSize);
        Assert.Equal(172, c.IntermediateSize);
        Assert.Equal(3, c.NumHiddenLayers);
        Assert.Equal(8, c.NumAttentionHeads);
        Assert.Equal(2, c.NumKeyValueHeads);
        Assert.Equal(8, c.HeadDim);
        Assert.Equal(4, c.GroupSize);
        Assert.Equal(128, c.MaxPositionEmbeddings);
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal(1, c.BosTokenId);
        Assert.Equal([2], c.EosTokenIds);
        Assert.Equal("bfloat16", c.TorchDtype);
    }

    [Fact]
    public void DefaultsFollowHuggingFace()
    {
        var c = LlamaConfig.Parse("""{"vocab_size": 10, "hidden_size": 12, "intermediate_size": 20, "num_hidden_layers": 1, "num_attention_heads": 3, "max_position_embeddings": 16}""");
        Assert.Equal(3, c.NumKeyValueHeads);
        Assert.Equal(4, c.HeadDim);
        Assert.Equal(1e-6, c.RmsNormEps);
        Assert.Equal(10000.0, c.RopeTheta);
        Assert.False(c.TieWordEmbeddings);
        Assert.Null(c.BosTokenId);
        Assert.Empty(c.EosTokenIds);
        Assert.Null(c.EosTokenId);
    }

    [Fact]
    public void EosListIsKeptWhole()
    {
        var json = HfConfig.Replace("\"eos_token_id\": 2", "\"eos_token_id\": [2, 7, 9]", StringComparison.Ordinal);
        var c = LlamaConfig.Parse(json);
        Assert.Equal([2, 7, 9], c.EosTokenIds);
        Assert.Equal(2, c.EosTokenId);
    }

    [Fact]
    public void ExplicitHeadDimMayDifferFromHiddenOverHeads()
    {
        var json = HfConfig.Replace("\"hidden_size\": 64", "\"hidden_size\": 60, \"head_dim\": 16", StringComparison.Ordinal);
        var c = LlamaConfig.Parse(json);
        Assert.Equal(16, c.HeadDim);
        var q = c.ParameterNames().Single(p => p.Name == "model.layers.0.self_attn.q_proj.weight");
        Assert.Equal([8 * 16, 60], q.Shape);
    }

    [Theory]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": 63", "hidden_size", "not divisible")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "num_key_value_heads", "not divisible")]
    [InlineData("\"vocab_size\": 300", "\"vocab_size\": 0", "vocab_size", "positive")]
    [InlineData("\"attention_bias\": false", "\"attention_bias\": true", "attention_bias", "without biases")]
    [InlineData("\"mlp_bias\": false", "\"mlp_bias\": true", "mlp_bias", "without biases")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}", "rope_scaling", "not supported")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act", "silu")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"mistral\"", "model_type", "llama")]
    [InlineData("\"vocab_size\": 300", "\"vocab_sizes\": 300", "vocab_sizes", "unknown config field")]
    [InlineData("\"hidden_size\": 64,", "", "hidden_size", "missing")]
    [InlineData("\"rope_theta\": 500000.0", "\"rope_theta\": \"big\"", "rope_theta", "number")]
    [InlineData("\"eos_token_id\": 2", "\"eos_token_id\": 300", "eos_token_id", "outside the vocabulary")]
    public void RejectsConfigsNamingFileAndField(string find, string replace, string field, string fragment)
    {
        var json = HfConfig.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(HfConfig, json);
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.Parse(json, "models/x/config.json"));
        Assert.Equal("models/x/config.json", e.SourceName);
        Assert.Equal(field, e.Item);
        Assert.Contains("models/x/config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AcceptsTransformers5RopeParameters()
    {
        var json = HfConfig.Replace("\"rope_theta\": 500000.0,", "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 250000.0},", StringComparison.Ordinal)
            .Replace("\"torch_dtype\": \"bfloat16\"", "\"dtype\": \"float32\"", StringComparison.Ordinal);
        var c = LlamaConfig.Parse(json);
        Assert.Equal(250000.0, c.RopeTheta);
        Assert.Equal("float32", c.TorchDtype);

        var scaled = json.Replace("\"rope_type\": \"default\"", "\"rope_type\": \"llama3\", \"factor\": 8.0", StringComparison.Ordinal);
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.Parse(scaled, "v5/config.json"));
        Assert.Equal("rope_parameters.rope_type", e.Item);
        Assert.Contains("no scaling", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFieldsCanBeIgnoredWhenNotStrict()
    {
        var json = HfConfig.Replace("\"use_cache\": true", "\"use_cache\": true, \"my_custom_flag\": 3", StringComparison.Ordinal);
        Assert.Throws<CheckpointFormatException>(() => LlamaConfig.Parse(json));
        Assert.Equal(64, LlamaConfig.Parse(json, strict: false).HiddenSize);
    }

    [Fact]
    public void BadJsonAndMissingFileNameTheFile()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.Parse("{\"vocab_size\": ", "a/config.json"));
        Assert.Contains("a/config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("JSON", e.Message, StringComparison.Ordinal);
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "config.json");
        var m = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.Load(missing));
        Assert.Contains(missing, m.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJsonRoundTripsThroughParse()
    {
        var c = LlamaConfig.Parse(HfConfig) with { TieWordEmbeddings = true, EosTokenIds = [2, 5] };
        var back = LlamaConfig.Parse(c.ToJson(), "roundtrip");
        Assert.Equal(c, back);
        Assert.NotEqual(c, back with { EosTokenIds = [2, 6] });
        Assert.NotEqual(c, back with { RopeTheta = 10000 });
        Assert.Equal(c.ToString(), back.ToString());
        Assert.Equal(c.RmsNormEps, back.RmsNormEps);
        Assert.Equal(c.RopeTheta, back.RopeTheta);
        Assert.Equal(c.TieWordEmbeddings, back.TieWordEmbeddings);
        Assert.Equal(c.BosTokenId, back.BosTokenId);
        Assert.Equal(c.EosTokenIds, back.EosTokenIds);
        Assert.Equal(c.TorchDtype, back.TorchDtype);
        Assert.Equal(c.NumKeyValueHeads, back.NumKeyValueHeads);
    }

    [Fact]
    public void ParameterNamesFollowCanonicalOrderAndHuggingFaceShapes()
    {
        var c = LlamaConfig.Parse(HfConfig); // V 300, D 64, F 172, L 3, H 8, KV 2, hd 8
        var p = c.ParameterNames();
        Assert.Equal(1 + (3 * 9) + 2, p.Count);
        Assert.Equal("model.embed_tokens.weight", p[0].Name);
        Assert.Equal([300, 64], p[0].Shape);
        string[] perLayer =
        [
            "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
            "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
            "mlp.down_proj.weight",
        ];
        int[][] shapes = [[64], [64, 64], [16, 64], [16, 64], [64, 64], [64], [172, 64], [172, 64], [64, 172]];
        for (var l = 0; l < 3; l++)
        {
            for (var j = 0; j < 9; j++)
            {
                var spec = p[1 + (l * 9) + j];
                Assert.Equal($"model.layers.{l}.{perLayer[j]}", spec.Name);
                Assert.Equal(shapes[j], spec.Shape);
            }
        }

        Assert.Equal("model.norm.weight", p[^2].Name);
        Assert.Equal("lm_head.weight", p[^1].Name);
        Assert.Equal([300, 64], p[^1].Shape);

        // Hand count: V*D + L*(2D + D*D + 2*16*D + D*D + 3*D*F) + D + V*D.
        long expected = (300 * 64) + (3 * ((2 * 64) + (64 * 64) + (2 * 16 * 64) + (64 * 64) + (3 * 64 * 172))) + 64 + (300 * 64);
        Assert.Equal(expected, c.ParameterCount());

        var tied = (c with { TieWordEmbeddings = true }).ParameterNames();
        Assert.Equal(p.Count - 1, tied.Count);
        Assert.DoesNotContain(tied, s => s.Name == "lm_head.weight");
    }

    [Fact]
    public void PresetsMatchTheBenchmarkConfigs()
    {
        var s = LlamaConfig.PresetS();
        Assert.Equal((256, 4, 4, 4, 688, 260, 256, 64), (s.HiddenSize, s.NumHiddenLayers, s.NumAttentionHeads, s.NumKeyValueHeads, s.IntermediateSize, s.VocabSize, s.MaxPositionEmbeddings, s.HeadDim));
        var m = LlamaConfig.PresetM();
        Assert.Equal((512, 8, 8, 8, 1376, 260, 64), (m.HiddenSize, m.NumHiddenLayers, m.NumAttentionHeads, m.NumKeyValueHeads, m.IntermediateSize, m.VocabSize, m.HeadDim));
        Assert.Equal(256, s.BosTokenId);
        Assert.Equal(257, s.EosTokenId);

        // S: 2*V*D + L*(2D + 4*D*D + 3*D*F) + D = 133120 + 4*(512 + 262144 + 528384) + 256.
        Assert.Equal(133_120L + (4L * 791_040) + 256, s.ParameterCount());
    }
}
