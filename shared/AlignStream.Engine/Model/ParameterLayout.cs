using AlignStream.Engine.IO;

namespace AlignStream.Engine.Model;

/// <summary>
/// Where each named tensor lives inside one contiguous float buffer, in the canonical order of
/// <see cref="LlamaConfig.ParameterNames"/>. Parameters, gradients and both AdamW moments share this
/// layout, so an offset found once is valid in all four buffers.
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, (long Offset, ParameterSpec Spec)> _byName = new(StringComparer.Ordinal);

    /// <summary>Carves the buffer for <paramref name="config"/>.</summary>
    public ParameterLayout(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Specs = config.ParameterNames();
        long offset = 0;
        foreach (var spec in Specs)
        {
            _byName.Add(spec.Name, (offset, spec));
            offset += spec.ElementCount;
        }
        if (offset > Array.MaxLength)
        {
            throw new NotSupportedException($"the model has {offset} parameters; one float[] holds at most {Array.MaxLength}");
        }
        TotalSize = (int)offset;
        Embedding = Offset("model.embed_tokens.weight");
        FinalNorm = Offset("model.norm.weight");
        LmHead = config.TieWordEmbeddings ? Embedding : Offset("lm_head.weight");
        var layers = new LayerOffsets[config.NumHiddenLayers];
        for (var l = 0; l < layers.Length; l++)
        {
            var p = $"model.layers.{l}.";
            layers[l] = new LayerOffsets(
                Offset(p + "input_layernorm.weight"),
                Offset(p + "self_attn.q_proj.weight"),
                Offset(p + "self_attn.k_proj.weight"),
                Offset(p + "self_attn.v_proj.weight"),
                Offset(p + "self_attn.o_proj.weight"),
                Offset(p + "post_attention_layernorm.weight"),
                Offset(p + "mlp.gate_proj.weight"),
                Offset(p + "mlp.up_proj.weight"),
                Offset(p + "mlp.down_proj.weight"));
        }
        Layers = layers;
    }

    /// <summary>The config the layout was made for.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Tensors in buffer order.</summary>
    public IReadOnlyList<ParameterSpec> Specs { get; }

    /// <summary>Floats in the whole buffer.</summary>
    public int TotalSize { get; }

    /// <summary>Offset of the token embedding [V, C].</summary>
    public int Embedding { get; }

    /// <summary>Offset of the final norm weight [C].</summary>
    public int FinalNorm { get; }

    /// <summary>Offset of the output head [V, C]; equal to <see cref="Embedding"/> when tied.</summary>
    public int LmHead { get; }

    /// <summary>Per-layer offsets.</summary>
    public IReadOnlyList<LayerOffsets> Layers { get; }

    /// <summary>Offset of a tensor by its Hugging Face name.</summary>
    public int Offset(string name) => _byName.TryGetValue(name, out var e)
        ? (int)e.Offset
        : throw new KeyNotFoundException($"no parameter named '{name}' in this Llama layout");

    /// <summary>The spec of a tensor by name.</summary>
    public ParameterSpec Spec(string name) => _byName.TryGetValue(name, out var e)
        ? e.Spec
        : throw new KeyNotFoundException($"no parameter named '{name}' in this Llama layout");

    /// <summary>Whether the layout has a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The view of a named tensor inside a buffer laid out by this layout.</summary>
    public Span<float> View(float[] buffer, string name)
    {
        var e = _byName.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"no parameter named '{name}' in this Llama layout");
        return buffer.AsSpan((int)e.Offset, (int)e.Spec.ElementCount);
    }
}
