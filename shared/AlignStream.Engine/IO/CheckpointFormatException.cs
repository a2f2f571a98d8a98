namespace AlignStream.Engine.IO;

/// <summary>
/// A model file (config.json, safetensors, tokenizer.json, checkpoint folder) that cannot be used as is.
/// The message names the file, the field or tensor, and what to do about it.
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="source"/> (a path or a description such as "config json").</summary>
    public CheckpointFormatException(string source, string? item, string message, Exception? inner = null)
        : base(Compose(source, item, message), inner)
    {
        SourceName = source;
        Item = item;
    }

    /// <summary>The file (or in-memory source name) at fault.</summary>
    public string SourceName { get; }

    /// <summary>The field or tensor at fault, when one is.</summary>
    public string? Item { get; }

    private static string Compose(string source, string? item, string message) =>
        item is null ? $"{source}: {message}" : $"{source}: '{item}': {message}";
}
