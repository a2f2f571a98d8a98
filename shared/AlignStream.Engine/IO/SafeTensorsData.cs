namespace AlignStream.Engine.IO;

/// <summary>The whole content of a safetensors file held in memory as fp32 (see <see cref="SafeTensorsFile.Read"/>).</summary>
public sealed class SafeTensorsData
{
    private readonly Dictionary<string, SafeTensor> _byName;

    /// <summary>Wraps tensors read from <paramref name="path"/>.</summary>
    public SafeTensorsData(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file the tensors came from.</summary>
    public string Path { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>A tensor by name; throws naming the file and tensor when absent.</summary>
    public SafeTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new CheckpointFormatException(Path, name, "tensor not found.");

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);
}
