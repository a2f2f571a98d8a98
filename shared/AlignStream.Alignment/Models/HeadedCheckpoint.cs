using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Models;

/// <summary>
/// A model folder holding an engine backbone under its Hugging Face tensor names plus extra head tensors
/// (e.g. <c>score.weight</c>) in the same model.safetensors, with config.json and, for BPE, tokenizer.json.
/// The engine's own checkpoint reader accepts only the backbone's tensors, so heads go through here.
/// </summary>
internal static class HeadedCheckpoint
{
    /// <summary>
    /// Writes the folder; the heads are stored after the backbone under their given names. Files go to a
    /// sibling temporary folder that then replaces the target, so a reader never sees a half-written model.
    /// </summary>
    public static void Save(string directory, LlamaModel backbone, ITokenizer? tokenizer, IEnumerable<TensorToWrite> heads, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"cannot save into a root folder: {directory}", nameof(directory));
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            var layout = backbone.Layout;
            var data = backbone.Weights.Data;
            var tensors = new List<TensorToWrite>();
            foreach (var spec in layout.Specs)
            {
                var offset = layout.Offset(spec.Name);
                tensors.Add(new TensorToWrite(spec.Name, spec.Shape, data.AsMemory(offset, (int)spec.ElementCount)));
            }
            tensors.AddRange(heads);
            var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal) { ["format"] = "pt" };
            SafeTensorsWriter.Write(Path.Combine(temp, CheckpointFolder.WeightsFileName), tensors, meta);
            File.WriteAllText(Path.Combine(temp, CheckpointFolder.ConfigFileName), backbone.Config.ToJson());
            if (tokenizer is BpeTokenizer bpe)
            {
                File.WriteAllText(Path.Combine(temp, CheckpointFolder.TokenizerFileName), bpe.SourceJson);
            }
            if (Directory.Exists(full))
            {
                // Keep the old folder until the new one is in place, then drop it.
                var old = full + ".old-" + Guid.NewGuid().ToString("N");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, full);
            }
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
            throw;
        }
    }

    /// <summary>Loads the backbone and opens the weights file for the caller to read its heads from.</summary>
    public static (LlamaModel Backbone, ITokenizer Tokenizer, SafeTensorsFile File) Load(string directory, int threads)
    {
        if (!Directory.Exists(directory))
        {
            throw new CheckpointFormatException(directory, null, "model folder not found; pass a folder holding config.json and model.safetensors.");
        }
        var config = LlamaConfig.Load(Path.Combine(directory, CheckpointFolder.ConfigFileName));
        var layout = new ParameterLayout(config);
        var weights = new ParameterSet(layout, Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));
        var file = SafeTensorsFile.Open(Path.Combine(directory, CheckpointFolder.WeightsFileName));
        try
        {
            foreach (var spec in layout.Specs)
            {
                if (!file.Contains(spec.Name))
                {
                    throw new CheckpointFormatException(directory, spec.Name, "is missing from model.safetensors.");
                }
                file.ReadInto(spec.Name, layout.View(weights.Data, spec.Name), spec.Shape);
            }
            var model = new LlamaModel(config, weights, threads);
            var tokenizer = TokenizerLoader.ForModelFolder(directory);
            return (model, tokenizer, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a head tensor, naming the folder and tensor when it is absent or mis-shaped.</summary>
    public static float[] ReadHead(SafeTensorsFile file, string directory, string name, int[] shape)
    {
        if (!file.Contains(name))
        {
            throw new CheckpointFormatException(directory, name, "head tensor is missing from model.safetensors; was the folder saved by this reward model?");
        }
        var n = shape.Aggregate(1, (a, b) => a * b);
        var values = new float[n];
        file.ReadInto(name, values, shape);
        return values;
    }
}
