using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// The model `align up` serves when no Model:Path is given: the pretrained base model from the cache if one was
/// built, else a freshly initialised byte-level model (config S) written into the run folder so the pipeline can
/// still be exercised end to end.
/// </summary>
public static class BaseModel
{
    /// <summary>Where `align pretrain` caches the base model (git-ignored).</summary>
    public static string CachedPath(string repoRoot) => Path.Combine(repoRoot, ".cache", "models", "base");

    /// <summary>Where `align train-rm` caches the demo's learned reward model (git-ignored).</summary>
    public static string CachedLearnedRewardModelPath(string repoRoot) => Path.Combine(repoRoot, ".cache", "models", "learned-rm");

    /// <summary>The cached learned reward model's folder, or null when none was trained (or the checkout is unknown).</summary>
    public static string? CachedLearnedRewardModel(string? repoRoot) =>
        !string.IsNullOrEmpty(repoRoot) && File.Exists(Path.Combine(CachedLearnedRewardModelPath(repoRoot), "model.safetensors"))
            ? CachedLearnedRewardModelPath(repoRoot)
            : null;

    /// <summary>Returns a model folder and a sentence that says where it came from.</summary>
    public static (string Path, string Origin) Resolve(string? configured, string runDirectory, ulong seed)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, "Model:Path");
        }
        var root = Environment.GetEnvironmentVariable("ALIGN_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(CachedPath(root), "model.safetensors")))
        {
            return (CachedPath(root), "cached base model");
        }
        var path = Path.Combine(runDirectory, "init-model");
        if (!File.Exists(Path.Combine(path, "model.safetensors")))
        {
            var model = LlamaModel.CreateRandom(LlamaConfig.PresetS(), seed);
            model.Save(path, ByteTokenizer.Instance);
        }
        return (path, $"randomly initialised config S (seed {seed}); set --Model:Path=DIR to serve a real model");
    }
}
