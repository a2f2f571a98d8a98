namespace AlignStream.Generator.Options;

/// <summary>The base policy the generator serves as version 0 (section <c>Model</c>).</summary>
public sealed class GeneratorModelOptions : AlignStream.Platform.Hosting.IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>A Hugging Face Llama folder: config.json, model.safetensors, optionally tokenizer.json (else the byte tokenizer).</summary>
    public string Path { get; set; } = "";

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return (nameof(Path), "is empty: point it at a Hugging Face Llama folder holding config.json and model.safetensors");
        }
        else if (!File.Exists(System.IO.Path.Combine(Path, "config.json")))
        {
            yield return (nameof(Path), "has no config.json: point it at a Hugging Face Llama folder (config.json + model.safetensors)");
        }
    }
}
