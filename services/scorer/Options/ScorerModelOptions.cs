using System.ComponentModel.DataAnnotations;
using AlignStream.Platform.Hosting;

namespace AlignStream.Scorer.Options;

/// <summary>
/// The base model (section <c>Model</c>): a Hugging Face Llama folder whose weights are reference version 0;
/// later reference versions arrive through the weight store.
/// </summary>
public sealed class ScorerModelOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>Folder with config.json and model.safetensors (tokenizer.json optional: byte tokenizer otherwise).</summary>
    [Required(ErrorMessage = "set the model folder (config.json + model.safetensors)")]
    public string Path { get; set; } = "";

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (!string.IsNullOrWhiteSpace(Path) && !File.Exists(System.IO.Path.Combine(Path, "config.json")))
        {
            yield return (nameof(Path), "has no config.json; point it at a Hugging Face Llama folder");
        }
    }
}
