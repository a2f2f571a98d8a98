using System.Text.Json;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.IO;

/// <summary>
/// A Hugging Face style model folder: <c>config.json</c> plus <c>model.safetensors</c> (or shards listed
/// in <c>model.safetensors.index.json</c>), and optionally <c>tokenizer.json</c>. Loading checks every
/// tensor the config implies exists with the right shape and a float dtype before any weight is read,
/// so a bad folder fails before it touches the standby parameter buffer.
/// </summary>
public sealed class CheckpointFolder : IDisposable
{
    /// <summary>File name of the config.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>File name of a single-file checkpoint.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>File name of the shard index of a sharded checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>File name of a Hugging Face tokenizer.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _fileOf;

    private CheckpointFolder(string directory, LlamaConfig config, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOf)
    {
        Directory = directory;
        Config = config;
        Parameters = config.ParameterNames();
        _files = files;
        _fileOf = fileOf;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The parsed config.json.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The expected parameters in canonical order (see <see cref="LlamaConfig.ParameterNames"/>).</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Path of tokenizer.json when the folder has one, else null (the byte tokenizer applies).</summary>
    public string? TokenizerPath
    {
        get
        {
            var p = Path.Combine(Directory, TokenizerFileName);
            return File.Exists(p) ? p : null;
        }
    }

    /// <summary>
    /// Opens a model folder and validates config.json against the tensors. Throws
    /// <see cref="CheckpointFormatException"/> naming the file and tensor (with expected and actual shapes).
    /// </summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="strictConfig">Reject unknown config.json fields (see <see cref="LlamaConfig.Parse"/>).</param>
    public static CheckpointFolder Load(string directory, bool strictConfig = true)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CheckpointFormatException(directory, null, "model folder not found; pass a folder holding config.json and model.safetensors.");
        }

        var config = LlamaConfig.Load(Path.Combine(directory, ConfigFileName), strictConfig);
        var files = new List<SafeTensorsFile>();
        try
        {
            var fileOf = OpenWeights(directory, files);
            var folder = new CheckpointFolder(directory, config, files, fileOf);
            folder.CheckTensors();
            return folder;
        }
        catch
        {
            foreach (var f in files)
            {
                f.Dispose();
            }

            throw;
        }
    }

    /// <summary>Reads one parameter into <paramref name="destination"/> (length must equal its element count).</summary>
    public void ReadInto(string name, Span<float> destination)
    {
        var spec = Parameters.FirstOrDefault(p => p.Name == name)
            ?? throw new CheckpointFormatException(Directory, name, "is not a parameter of this model's config.");
        _fileOf[name].ReadInto(name, destination, spec.Shape);
    }

    /// <summary>
    /// Reads every parameter into one contiguous buffer laid out in canonical order
    /// (<see cref="Parameters"/>, each tensor row-major, back to back) — the layout of the engine's parameter buffer.
    /// </summary>
    public void ReadAllInto(Span<float> contiguous)
    {
        var total = Parameters.Sum(p => p.ElementCount);
        if (contiguous.Length != total)
        {
            throw new ArgumentException($"destination holds {contiguous.Length} floats but the model has {total} parameters ({Config}).", nameof(contiguous));
        }

        var offset = 0;
        foreach (var p in Parameters)
        {
            var n = (int)p.ElementCount;
            _fileOf[p.Name].ReadInto(p.Name, contiguous.Slice(offset, n), p.Shape);
            offset += n;
        }
    }

    /// <summary>The tokenizer for this folder: tokenizer.json when present, else the byte tokenizer.</summary>
    public ITokenizer LoadTokenizer() => TokenizerLoader.ForModelFolder(Directory);

    /// <summary>
    /// Writes config.json, model.safetensors (fp32) and, for a <see cref="BpeTokenizer"/>, tokenizer.json into
    /// <paramref name="directory"/> atomically: everything is written to a sibling temporary folder which
    /// then replaces the target. Tensor names and shapes must match the config exactly.
    /// </summary>
    /// <returns>Lower-case hex SHA-256 of the written model.safetensors.</returns>
    public static string Save(string directory, LlamaConfig config, IEnumerable<TensorToWrite> tensors, ITokenizer? tokenizer = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate("config (save)");
        var list = tensors.ToList();
        CheckAgainstConfig(directory, config, list);
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"cannot save into a root folder: {directory}", nameof(directory));
        System.IO.Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
            if (metadata is not null)
            {
                foreach (var kv in metadata)
                {
                    meta[kv.Key] = kv.Value;
                }
            }

            // Hashed on the way. Through the page cache: a trainer's checkpoint is published, and the generators and
            // scorers on this machine read it within milliseconds (from disk it added about 20 ms to publish-to-serving).
            var sha = SafeTensorsWriter.WriteHashed(Path.Combine(temp, WeightsFileName), list, meta);
            File.WriteAllText(Path.Combine(temp, ConfigFileName), config.ToJson());
            if (tokenizer is BpeTokenizer bpe)
            {
                File.WriteAllText(Path.Combine(temp, TokenizerFileName), bpe.SourceJson);
            }

            Replace(full, temp);
            return sha;
        }
        catch
        {
            if (System.IO.Directory.Exists(temp))
            {
                System.IO.Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    /// <summary>
    /// Saves a contiguous parameter buffer laid out in canonical order (see <see cref="ReadAllInto"/>).
    /// </summary>
    /// <returns>Lower-case hex SHA-256 of model.safetensors.</returns>
    public static string Save(string directory, LlamaConfig config, ReadOnlyMemory<float> contiguous, ITokenizer? tokenizer = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var specs = config.ParameterNames();
        var total = specs.Sum(p => p.ElementCount);
        if (contiguous.Length != total)
        {
            throw new ArgumentException($"buffer holds {contiguous.Length} floats but {config} has {total} parameters.", nameof(contiguous));
        }

        var tensors = new List<TensorToWrite>(specs.Count);
        var offset = 0;
        foreach (var p in specs)
        {
            var n = (int)p.ElementCount;
            tensors.Add(new TensorToWrite(p.Name, p.Shape, contiguous.Slice(offset, n)));
            offset += n;
        }

        return Save(directory, config, tensors, tokenizer, metadata);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in _files)
        {
            f.Dispose();
        }
    }

    /// <summary>Whether an extra tensor in a checkpoint can be ignored (buffers HF sometimes saves).</summary>
    internal static bool IsHarmlessExtra(string name, LlamaConfig config) =>
        name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
        || name == "model.rotary_emb.inv_freq"
        // Tied models sometimes still carry lm_head.weight; Hugging Face ignores it and ties to the embedding.
        || (config.TieWordEmbeddings && name == "lm_head.weight");

    private static void Replace(string target, string temp)
    {
        if (!System.IO.Directory.Exists(target))
        {
            System.IO.Directory.Move(temp, target);
            return;
        }

        // Two renames: the old folder stays whole until the new one is complete in place.
        var old = target + ".old-" + Guid.NewGuid().ToString("N");
        System.IO.Directory.Move(target, old);
        System.IO.Directory.Move(temp, target);
        System.IO.Directory.Delete(old, recursive: true);
    }

    private static void CheckAgainstConfig(string directory, LlamaConfig config, List<TensorToWrite> tensors)
    {
        var byName = new Dictionary<string, TensorToWrite>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!byName.TryAdd(t.Name, t))
            {
                throw new ArgumentException($"saving {directory}: tensor '{t.Name}' given twice.", nameof(tensors));
            }
        }

        var specs = config.ParameterNames();
        foreach (var p in specs)
        {
            if (!byName.TryGetValue(p.Name, out var t))
            {
                throw new ArgumentException($"saving {directory}: tensor '{p.Name}' {p.ShapeText} required by the config is missing.", nameof(tensors));
            }

            if (!t.Shape.SequenceEqual(p.Shape))
            {
                throw new ArgumentException($"saving {directory}: tensor '{p.Name}' has shape {ParameterSpec.FormatShape(t.Shape)}, config needs {p.ShapeText}.", nameof(tensors));
            }
        }

        if (byName.Count != specs.Count)
        {
            var extra = byName.Keys.Except(specs.Select(s => s.Name)).First();
            throw new ArgumentException($"saving {directory}: tensor '{extra}' is not a parameter of {config}.", nameof(tensors));
        }
    }

    private static Dictionary<string, SafeTensorsFile> OpenWeights(string directory, List<SafeTensorsFile> files)
    {
        var fileOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var single = Path.Combine(directory, WeightsFileName);
        var index = Path.Combine(directory, IndexFileName);
        if (File.Exists(single))
        {
            var f = SafeTensorsFile.Open(single);
            files.Add(f);
            foreach (var t in f.Tensors)
            {
                fileOf[t.Name] = f;
            }

            return fileOf;
        }

        if (!File.Exists(index))
        {
            throw new CheckpointFormatException(single, null, $"file not found (and no {IndexFileName} for a sharded checkpoint); the model folder needs its weights.");
        }

        var shardOf = ReadIndex(index);
        var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var (tensor, shard) in shardOf)
        {
            if (!opened.TryGetValue(shard, out var f))
            {
                var shardPath = Path.Combine(directory, shard);
                if (!File.Exists(shardPath))
                {
                    throw new CheckpointFormatException(index, tensor, $"is mapped to shard '{shard}', which does not exist in the folder.");
                }

                f = SafeTensorsFile.Open(shardPath);
                files.Add(f);
                opened[shard] = f;
            }

            if (!f.Contains(tensor))
            {
                throw new CheckpointFormatException(f.Path, tensor, $"is listed in {IndexFileName} for this shard but the shard does not contain it.");
            }

            fileOf[tensor] = f;
        }

        foreach (var f in files)
        {
            foreach (var t in f.Tensors)
            {
                if (!fileOf.ContainsKey(t.Name))
                {
                    throw new CheckpointFormatException(f.Path, t.Name, $"is in the shard but not listed in {IndexFileName}'s weight_map; the index is stale.");
                }
            }
        }

        return fileOf;
    }

    private static Dictionary<string, string> ReadIndex(string index)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(index));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(index, null, $"not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(index, "weight_map", "missing or not an object of tensor name to shard file name.");
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in map.EnumerateObject())
            {
                var shard = e.Value.ValueKind == JsonValueKind.String ? e.Value.GetString()! : "";
                if (shard.Length == 0 || shard != Path.GetFileName(shard))
                {
                    throw new CheckpointFormatException(index, e.Name, $"shard name {e.Value.GetRawText()} must be a plain file name in the same folder.");
                }

                result[e.Name] = shard;
            }

            return result;
        }
    }

    private void CheckTensors()
    {
        foreach (var p in Parameters)
        {
            if (!_fileOf.TryGetValue(p.Name, out var file))
            {
                var where = _files.Count == 1 ? _files[0].Path : Path.Combine(Directory, IndexFileName);
                var hint = p.Name == "lm_head.weight" ? " (if the output head shares the embedding, set tie_word_embeddings: true in config.json)" : "";
                throw new CheckpointFormatException(where, p.Name, $"missing tensor, expected shape {p.ShapeText}{hint}.");
            }

            var info = file[p.Name];
            if (!info.Shape.SequenceEqual(p.Shape))
            {
                throw new CheckpointFormatException(file.Path, p.Name,
                    $"shape mismatch: config.json implies {p.ShapeText}, file has {ParameterSpec.FormatShape(info.Shape)}.");
            }

            if (!info.DType.IsFloat())
            {
                throw new CheckpointFormatException(file.Path, p.Name, $"dtype {info.DType.ToHeaderName()} is not supported for weights; store F32, BF16 or F16.");
            }
        }

        var expected = Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, file) in _fileOf)
        {
            if (!expected.Contains(name) && !IsHarmlessExtra(name, Config))
            {
                throw new CheckpointFormatException(file.Path, name,
                    $"unexpected tensor for {Config}; the checkpoint has parameters the engine would ignore (biases? a different architecture?).");
            }
        }
    }
}
