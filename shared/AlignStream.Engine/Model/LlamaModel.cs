using AlignStream.Engine.IO;
using AlignStream.Engine.Kernels;

namespace AlignStream.Engine.Model;

/// <summary>
/// A Llama-family decoder: config, parameter layout, rotary table and the hot-swappable weights.
/// Forward/backward passes live in <see cref="Training.TrainingSession"/> and decoding in
/// <see cref="Inference.DecodeSession"/>; both read <see cref="Weights"/> once per pass.
/// </summary>
public sealed class LlamaModel
{
    /// <summary>Creates a model with the given weights.</summary>
    public LlamaModel(LlamaConfig config, ParameterSet weights, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        config.Validate();
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        }
        Config = config;
        Layout = weights.Layout;
        Rope = new RopeTable(config.MaxPositionEmbeddings, config.HeadDim, (float)config.RopeTheta);
        Store = new WeightStore(weights);
        Threads = threads;
    }

    /// <summary>The configuration.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Buffer layout shared by weights, gradients and optimizer moments.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Rotary cos/sin table for every position up to max_position_embeddings.</summary>
    public RopeTable Rope { get; }

    /// <summary>Live and standby weights.</summary>
    public WeightStore Store { get; }

    /// <summary>The weights a new pass should use.</summary>
    public ParameterSet Weights => Store.Current;

    /// <summary>Threads for the engine's own parallel loops (attention). GEMM threads are set on <see cref="Blas.Gemm"/>.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Random initialisation with an explicit seed: linear and embedding weights ~ N(0, std²), norm
    /// weights 1 (the usual Llama init).
    /// </summary>
    public static LlamaModel CreateRandom(LlamaConfig config, ulong seed, float std = 0.02f, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layout = new ParameterLayout(config);
        var weights = new ParameterSet(layout, "init-" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
        foreach (var spec in layout.Specs)
        {
            var view = layout.View(weights.Data, spec.Name);
            if (spec.Shape.Count == 1)
            {
                view.Fill(1f);
                continue;
            }
            for (var i = 0; i < view.Length; i += 2)
            {
                // Box–Muller on a SplitMix64 stream: reproducible on every platform.
                var u1 = (NextUInt64(ref state) >> 11) * (1.0 / (1UL << 53));
                var u2 = (NextUInt64(ref state) >> 11) * (1.0 / (1UL << 53));
                var r = Math.Sqrt(-2.0 * Math.Log(1.0 - u1));
                view[i] = (float)(std * r * Math.Cos(2 * Math.PI * u2));
                if (i + 1 < view.Length)
                {
                    view[i + 1] = (float)(std * r * Math.Sin(2 * Math.PI * u2));
                }
            }
        }
        return new LlamaModel(config, weights, threads);
    }

    /// <summary>Loads a Hugging Face style folder (config.json + model.safetensors).</summary>
    public static LlamaModel Load(string directory, int threads = 1, bool strictConfig = true)
    {
        using var folder = CheckpointFolder.Load(directory, strictConfig);
        var layout = new ParameterLayout(folder.Config);
        var weights = new ParameterSet(layout, Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));
        folder.ReadAllInto(weights.Data);
        return new LlamaModel(folder.Config, weights, threads);
    }

    /// <summary>
    /// Hot swap from a folder: reads it into the standby buffer, verifies shapes (the folder's config must
    /// match this model's) and finiteness, then flips. Returns false with a reason when the new weights are rejected.
    /// </summary>
    public bool TrySwapFrom(string directory, string version, out string? reason)
    {
        using var folder = CheckpointFolder.Load(directory);
        if (folder.Config.ParameterCount() != Config.ParameterCount()
            || !folder.Config.ParameterNames().Select(p => p.ShapeText).SequenceEqual(Config.ParameterNames().Select(p => p.ShapeText)))
        {
            reason = $"{directory}: its config describes a different architecture than the running model ({folder.Config} vs {Config})";
            return false;
        }
        return Store.LoadAndFlip(set => folder.ReadAllInto(set.Data), version, out reason);
    }

    /// <summary>Writes config.json + model.safetensors (+ tokenizer.json) atomically; returns the sha256 of the weights file.</summary>
    public string Save(string directory, Tokenization.ITokenizer? tokenizer = null)
    {
        return CheckpointFolder.Save(directory, Config, Weights.Data, tokenizer);
    }

    private static ulong NextUInt64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
