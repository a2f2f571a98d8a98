namespace AlignStream.Engine.Model;

/// <summary>
/// One set of model weights: a single float[] carved by a <see cref="ParameterLayout"/>. The version
/// is whatever the owner says it is (policy version, checkpoint hash) and travels with the weights so
/// a sample can name the weights that produced it.
/// </summary>
public sealed class ParameterSet
{
    /// <summary>Allocates a zeroed buffer.</summary>
    public ParameterSet(ParameterLayout layout, string version = "0")
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        Data = new float[layout.TotalSize];
        Version = version;
    }

    /// <summary>The layout.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All weights, in layout order.</summary>
    public float[] Data { get; }

    /// <summary>Label of these weights.</summary>
    public string Version { get; set; }

    /// <summary>View of a named tensor.</summary>
    public Span<float> this[string name] => Layout.View(Data, name);

    /// <summary>Span at an offset.</summary>
    public Span<float> At(int offset, int length) => Data.AsSpan(offset, length);

    /// <summary>Copies weights (and version) from another set with the same layout.</summary>
    public void CopyFrom(ParameterSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Data.Length != Data.Length)
        {
            throw new ArgumentException($"parameter sets differ in size ({other.Data.Length} vs {Data.Length}); they come from different configs");
        }
        other.Data.CopyTo(Data, 0);
        Version = other.Version;
    }
}
