using System.Globalization;
using System.Text;
using System.Text.Json;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.IO;

/// <summary>
/// Hyper-parameters of a Llama-family decoder (a record: use <c>with</c> to derive variants), read from and written to a Hugging Face <c>config.json</c>.
/// Only plain Llama math is supported (SiLU, no biases, no rope scaling); configs asking for anything
/// else are rejected at load time rather than silently computing a different model.
/// </summary>
public sealed record LlamaConfig
{
    private const string DefaultSource = "config.json";

    // Fields that Hugging Face writes routinely and that do not change the forward math.
    private static readonly HashSet<string> HarmlessFields = new(StringComparer.Ordinal)
    {
        "architectures", "attention_dropout", "initializer_range", "pretraining_tp", "use_cache",
        "transformers_version", "_name_or_path", "pad_token_id", "dtype", "output_attentions",
        "output_hidden_states", "return_dict", "torchscript", "is_decoder", "is_encoder_decoder",
        "chunk_size_feed_forward", "problem_type", "id2label", "label2id", "finetuning_task",
        "tokenizer_class", "prefix", "sep_token_id", "decoder_start_token_id", "task_specific_params",
        "cross_attention_hidden_size", "add_cross_attention", "tie_encoder_decoder", "pruned_heads",
        "use_return_dict", "hidden_dropout", "embd_pdrop", "resid_pdrop",
    };

    // Fields whose non-default values would change the math; accepted only at their default.
    private static readonly HashSet<string> MathFields = new(StringComparer.Ordinal)
    {
        "attention_bias", "mlp_bias", "rope_scaling", "rope_parameters", "hidden_act",
    };

    private static readonly HashSet<string> CoreFields = new(StringComparer.Ordinal)
    {
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_theta",
        "tie_word_embeddings", "bos_token_id", "eos_token_id", "model_type", "torch_dtype",
    };

    private readonly int? _numKeyValueHeads;
    private readonly int? _headDim;
    private readonly IReadOnlyList<int> _eosTokenIds = [];

    /// <summary>Vocabulary size (rows of the embedding and of the output head).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Model width d_model.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>SwiGLU hidden width.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention); defaults to <see cref="NumAttentionHeads"/>.</summary>
    public int NumKeyValueHeads
    {
        get => _numKeyValueHeads ?? NumAttentionHeads;
        init => _numKeyValueHeads = value;
    }

    /// <summary>Per-head width; defaults to HiddenSize / NumAttentionHeads.</summary>
    public int HeadDim
    {
        get => _headDim ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);
        init => _headDim = value;
    }

    /// <summary>Longest context the model supports (KV cache length bound).</summary>
    public required int MaxPositionEmbeddings { get; init; }

    /// <summary>RMSNorm epsilon (Hugging Face default 1e-6).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Rotary embedding base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Whether the output head shares the embedding matrix (no lm_head.weight tensor).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Beginning-of-sequence token id, when the model has one.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence token ids (config.json may carry one id or a list).</summary>
    public IReadOnlyList<int> EosTokenIds
    {
        get => _eosTokenIds;
        init => _eosTokenIds = value ?? [];
    }

    /// <summary>The first end-of-sequence id, when there is one.</summary>
    public int? EosTokenId => _eosTokenIds.Count > 0 ? _eosTokenIds[0] : null;

    /// <summary>Activation of the MLP; only "silu" is supported.</summary>
    public string HiddenAct { get; init; } = "silu";

    /// <summary>Model type; only "llama" is supported.</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>Storage dtype recorded in config.json (the engine computes in fp32 regardless).</summary>
    public string TorchDtype { get; init; } = "float32";

    /// <summary>Query heads per key/value head.</summary>
    public int GroupSize => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>
    /// Config S of the benchmark: d_model 256, 4 layers, 4 heads, SwiGLU 688, byte vocabulary, context 256.
    /// </summary>
    public static LlamaConfig PresetS() => BytePreset(hidden: 256, layers: 4, heads: 4, ffn: 688);

    /// <summary>Config M of the benchmark: d_model 512, 8 layers, 8 heads, SwiGLU 1376, byte vocabulary, context 256.</summary>
    public static LlamaConfig PresetM() => BytePreset(hidden: 512, layers: 8, heads: 8, ffn: 1376);

    private static LlamaConfig BytePreset(int hidden, int layers, int heads, int ffn) => new()
    {
        VocabSize = ByteTokenizer.VocabSizeConstant,
        HiddenSize = hidden,
        IntermediateSize = ffn,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = heads,
        MaxPositionEmbeddings = 256,
        BosTokenId = ByteTokenizer.BosIdConstant,
        EosTokenIds = [ByteTokenizer.EosIdConstant],
    };

    /// <summary>Reads and validates a config.json.</summary>
    /// <param name="path">Path of the config.json file.</param>
    /// <param name="strict">When true (default), unknown fields are an error; when false they are ignored.</param>
    public static LlamaConfig Load(string path, bool strict = true)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointFormatException(path, null, "file not found; a model folder needs a Hugging Face config.json.");
        }

        return Parse(File.ReadAllText(path), path, strict);
    }

    /// <summary>Parses and validates config.json text; <paramref name="sourceName"/> is used in error messages.</summary>
    public static LlamaConfig Parse(string json, string sourceName = DefaultSource, bool strict = true)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(sourceName, null, $"not valid JSON ({e.Message}); fix or regenerate the file.", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(sourceName, null, "expected a JSON object at the top level.");
            }

            foreach (var prop in root.EnumerateObject())
            {
                var name = prop.Name;
                if (CoreFields.Contains(name) || HarmlessFields.Contains(name))
                {
                    continue;
                }

                if (MathFields.Contains(name))
                {
                    CheckMathField(sourceName, name, prop.Value);
                    continue;
                }

                if (strict)
                {
                    throw new CheckpointFormatException(sourceName, name,
                        "unknown config field; the engine cannot tell whether it changes the model. Remove it if it is harmless, or load with strict: false to ignore unknown fields.");
                }
            }

            var modelType = OptionalString(root, "model_type", sourceName) ?? "llama";
            if (modelType != "llama")
            {
                throw new CheckpointFormatException(sourceName, "model_type",
                    $"is '{modelType}'; only 'llama' models are supported.");
            }

            var config = new LlamaConfig
            {
                VocabSize = RequiredInt(root, "vocab_size", sourceName),
                HiddenSize = RequiredInt(root, "hidden_size", sourceName),
                IntermediateSize = RequiredInt(root, "intermediate_size", sourceName),
                NumHiddenLayers = RequiredInt(root, "num_hidden_layers", sourceName),
                NumAttentionHeads = RequiredInt(root, "num_attention_heads", sourceName),
                MaxPositionEmbeddings = RequiredInt(root, "max_position_embeddings", sourceName),
                RmsNormEps = OptionalDouble(root, "rms_norm_eps", sourceName) ?? 1e-6,
                RopeTheta = RopeParametersTheta(root, sourceName) ?? OptionalDouble(root, "rope_theta", sourceName) ?? 10000.0,
                TieWordEmbeddings = OptionalBool(root, "tie_word_embeddings", sourceName) ?? false,
                BosTokenId = OptionalInt(root, "bos_token_id", sourceName),
                EosTokenIds = IntOrList(root, "eos_token_id", sourceName),
                HiddenAct = OptionalString(root, "hidden_act", sourceName) ?? "silu",
                ModelType = modelType,
                TorchDtype = OptionalString(root, "torch_dtype", sourceName) ?? OptionalString(root, "dtype", sourceName) ?? "float32",
            };
            var kv = OptionalInt(root, "num_key_value_heads", sourceName);
            var hd = OptionalInt(root, "head_dim", sourceName);
            if (kv is int kvHeads)
            {
                config = config with { NumKeyValueHeads = kvHeads };
            }

            if (hd is int headDim)
            {
                config = config with { HeadDim = headDim };
            }

            config.Validate(sourceName);
            return config;
        }
    }

    /// <summary>Checks the dimensions agree with each other; throws naming the field and the fix.</summary>
    public void Validate(string sourceName = DefaultSource)
    {
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (_headDim is null && HiddenSize % NumAttentionHeads != 0)
        {
            throw new CheckpointFormatException(sourceName, "hidden_size",
                $"{HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}; change one of them or set head_dim explicitly.");
        }

        Positive(HeadDim, "head_dim");
        if (HeadDim % 2 != 0)
        {
            throw new CheckpointFormatException(sourceName, "head_dim",
                $"{HeadDim} is odd; rotary embeddings rotate pairs of dimensions, so the head width must be even.");
        }

        if (NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw new CheckpointFormatException(sourceName, "num_key_value_heads",
                $"num_attention_heads {NumAttentionHeads} is not divisible by num_key_value_heads {NumKeyValueHeads}; choose a divisor of the head count.");
        }

        if (!(RmsNormEps > 0) || double.IsInfinity(RmsNormEps))
        {
            throw new CheckpointFormatException(sourceName, "rms_norm_eps", $"{RmsNormEps} must be a small positive number such as 1e-6.");
        }

        if (!(RopeTheta > 0) || double.IsInfinity(RopeTheta))
        {
            throw new CheckpointFormatException(sourceName, "rope_theta", $"{RopeTheta} must be positive, typically 10000.");
        }

        if (HiddenAct != "silu")
        {
            throw new CheckpointFormatException(sourceName, "hidden_act", $"is '{HiddenAct}'; only 'silu' (SwiGLU) is supported.");
        }

        if (ModelType != "llama")
        {
            throw new CheckpointFormatException(sourceName, "model_type", $"is '{ModelType}'; only 'llama' models are supported.");
        }

        if (BosTokenId is int bos && (bos < 0 || bos >= VocabSize))
        {
            throw new CheckpointFormatException(sourceName, "bos_token_id", $"{bos} is outside the vocabulary [0, {VocabSize}).");
        }

        foreach (var eos in EosTokenIds)
        {
            if (eos < 0 || eos >= VocabSize)
            {
                throw new CheckpointFormatException(sourceName, "eos_token_id", $"{eos} is outside the vocabulary [0, {VocabSize}).");
            }
        }

        void Positive(int value, string field)
        {
            if (value <= 0)
            {
                throw new CheckpointFormatException(sourceName, field, $"is {value}; it must be a positive integer.");
            }
        }
    }

    /// <summary>
    /// The model's parameter tensors in canonical order: embedding; per layer input_layernorm, q, k, v, o,
    /// post_attention_layernorm, gate, up, down; final norm; lm_head unless tied. Shapes are Hugging Face
    /// (PyTorch Linear weights are [out, in]).
    /// </summary>
    public IReadOnlyList<ParameterSpec> ParameterNames()
    {
        int d = HiddenSize, f = IntermediateSize, v = VocabSize;
        int q = NumAttentionHeads * HeadDim, kv = NumKeyValueHeads * HeadDim;
        var list = new List<ParameterSpec>(3 + (NumHiddenLayers * 9))
        {
            new("model.embed_tokens.weight", [v, d]),
        };
        for (var l = 0; l < NumHiddenLayers; l++)
        {
            var p = "model.layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            list.Add(new(p + "input_layernorm.weight", [d]));
            list.Add(new(p + "self_attn.q_proj.weight", [q, d]));
            list.Add(new(p + "self_attn.k_proj.weight", [kv, d]));
            list.Add(new(p + "self_attn.v_proj.weight", [kv, d]));
            list.Add(new(p + "self_attn.o_proj.weight", [d, q]));
            list.Add(new(p + "post_attention_layernorm.weight", [d]));
            list.Add(new(p + "mlp.gate_proj.weight", [f, d]));
            list.Add(new(p + "mlp.up_proj.weight", [f, d]));
            list.Add(new(p + "mlp.down_proj.weight", [d, f]));
        }

        list.Add(new("model.norm.weight", [d]));
        if (!TieWordEmbeddings)
        {
            list.Add(new("lm_head.weight", [v, d]));
        }

        return list;
    }

    /// <summary>Total parameter count (sum over <see cref="ParameterNames"/>).</summary>
    public long ParameterCount() => ParameterNames().Sum(p => p.ElementCount);

    /// <summary>Writes the config as Hugging Face config.json text (indented, deterministic field order).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("architectures");
            w.WriteStringValue("LlamaForCausalLM");
            w.WriteEndArray();
            w.WriteBoolean("attention_bias", false);
            w.WriteNumber("attention_dropout", 0.0);
            if (BosTokenId is int bos)
            {
                w.WriteNumber("bos_token_id", bos);
            }

            if (EosTokenIds.Count == 1)
            {
                w.WriteNumber("eos_token_id", EosTokenIds[0]);
            }
            else if (EosTokenIds.Count > 1)
            {
                w.WriteStartArray("eos_token_id");
                foreach (var e in EosTokenIds)
                {
                    w.WriteNumberValue(e);
                }

                w.WriteEndArray();
            }

            w.WriteNumber("head_dim", HeadDim);
            w.WriteString("hidden_act", HiddenAct);
            w.WriteNumber("hidden_size", HiddenSize);
            w.WriteNumber("initializer_range", 0.02);
            w.WriteNumber("intermediate_size", IntermediateSize);
            w.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
            w.WriteBoolean("mlp_bias", false);
            w.WriteString("model_type", ModelType);
            w.WriteNumber("num_attention_heads", NumAttentionHeads);
            w.WriteNumber("num_hidden_layers", NumHiddenLayers);
            w.WriteNumber("num_key_value_heads", NumKeyValueHeads);
            w.WriteNumber("pretraining_tp", 1);
            w.WriteNumber("rms_norm_eps", RmsNormEps);
            w.WriteNull("rope_scaling");
            w.WriteNumber("rope_theta", RopeTheta);
            w.WriteBoolean("tie_word_embeddings", TieWordEmbeddings);
            w.WriteString("torch_dtype", TorchDtype);
            w.WriteBoolean("use_cache", true);
            w.WriteNumber("vocab_size", VocabSize);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Value equality over every field (the end-of-sequence list compared element-wise).</summary>
    public bool Equals(LlamaConfig? other) =>
        other is not null
        && VocabSize == other.VocabSize && HiddenSize == other.HiddenSize && IntermediateSize == other.IntermediateSize
        && NumHiddenLayers == other.NumHiddenLayers && NumAttentionHeads == other.NumAttentionHeads
        && NumKeyValueHeads == other.NumKeyValueHeads && HeadDim == other.HeadDim
        && MaxPositionEmbeddings == other.MaxPositionEmbeddings && RmsNormEps.Equals(other.RmsNormEps)
        && RopeTheta.Equals(other.RopeTheta) && TieWordEmbeddings == other.TieWordEmbeddings
        && BosTokenId == other.BosTokenId && EosTokenIds.SequenceEqual(other.EosTokenIds)
        && HiddenAct == other.HiddenAct && ModelType == other.ModelType && TorchDtype == other.TorchDtype;

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(VocabSize, HiddenSize, IntermediateSize, NumHiddenLayers, NumAttentionHeads, NumKeyValueHeads, HeadDim, MaxPositionEmbeddings);

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"llama d={HiddenSize} L={NumHiddenLayers} H={NumAttentionHeads} KV={NumKeyValueHeads} hd={HeadDim} ffn={IntermediateSize} V={VocabSize} ctx={MaxPositionEmbeddings}");

    private static void CheckMathField(string source, string name, JsonElement value)
    {
        switch (name)
        {
            case "attention_bias":
            case "mlp_bias":
                if (value.ValueKind == JsonValueKind.True)
                {
                    throw new CheckpointFormatException(source, name, "is true; the engine implements Llama without biases. Use a checkpoint without biases.");
                }

                if (value.ValueKind != JsonValueKind.False && value.ValueKind != JsonValueKind.Null)
                {
                    throw new CheckpointFormatException(source, name, $"must be true or false, got {value.ValueKind}.");
                }

                break;
            case "rope_scaling":
                if (value.ValueKind != JsonValueKind.Null)
                {
                    throw new CheckpointFormatException(source, name, "is set; rotary scaling (linear/dynamic/llama3/yarn) is not supported. Use a model without rope_scaling (null).");
                }

                break;
            case "rope_parameters":
                // transformers 5 moves rope_theta (and any scaling) into this object.
                if (value.ValueKind == JsonValueKind.Null)
                {
                    break;
                }

                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw new CheckpointFormatException(source, name, "must be an object such as {\"rope_type\": \"default\", \"rope_theta\": 10000.0}.");
                }

                foreach (var p in value.EnumerateObject())
                {
                    var plain = p.Name switch
                    {
                        "rope_theta" => true,
                        "rope_type" or "type" => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == "default",
                        _ => false,
                    };
                    if (!plain)
                    {
                        throw new CheckpointFormatException(source, name + "." + p.Name,
                            $"is {p.Value.GetRawText()}; only default rotary embeddings (rope_type \"default\" with rope_theta) are supported, no scaling.");
                    }
                }

                break;
            case "hidden_act":
                if (value.ValueKind != JsonValueKind.String || value.GetString() != "silu")
                {
                    throw new CheckpointFormatException(source, name, $"is {value.GetRawText()}; only \"silu\" (SwiGLU) is supported.");
                }

                break;
        }
    }

    private static double? RopeParametersTheta(JsonElement root, string source)
    {
        if (!root.TryGetProperty("rope_parameters", out var rp) || rp.ValueKind != JsonValueKind.Object
            || !rp.TryGetProperty("rope_theta", out var theta) || theta.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return theta.ValueKind == JsonValueKind.Number
            ? theta.GetDouble()
            : throw new CheckpointFormatException(source, "rope_parameters.rope_theta", $"must be a number, got {theta.GetRawText()}.");
    }

    private static int RequiredInt(JsonElement root, string name, string source) =>
        OptionalInt(root, name, source)
        ?? throw new CheckpointFormatException(source, name, "required field is missing; add it to config.json.");

    private static int? OptionalInt(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i))
        {
            return i;
        }

        throw new CheckpointFormatException(source, name, $"must be an integer, got {v.GetRawText()}.");
    }

    private static double? OptionalDouble(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.GetDouble();
        }

        throw new CheckpointFormatException(source, name, $"must be a number, got {v.GetRawText()}.");
    }

    private static bool? OptionalBool(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CheckpointFormatException(source, name, $"must be true or false, got {v.GetRawText()}."),
        };
    }

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new CheckpointFormatException(source, name, $"must be a string, got {v.GetRawText()}.");
    }

    private static int[] IntOrList(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var single))
        {
            return [single];
        }

        if (v.ValueKind == JsonValueKind.Array)
        {
            var list = new List<int>();
            foreach (var e in v.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var id))
                {
                    throw new CheckpointFormatException(source, name, $"list entries must be integers, got {e.GetRawText()}.");
                }

                list.Add(id);
            }

            return [.. list];
        }

        throw new CheckpointFormatException(source, name, $"must be an integer or a list of integers, got {v.GetRawText()}.");
    }
}
