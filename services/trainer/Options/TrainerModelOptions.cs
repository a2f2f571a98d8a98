using System.ComponentModel.DataAnnotations;

namespace AlignStream.Trainer.Options;

/// <summary>The base model the trainer starts from (section <c>Model</c>, shared with the other stages).</summary>
public sealed class TrainerModelOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>A Hugging Face Llama folder (config.json, model.safetensors, optional tokenizer.json).</summary>
    [Required(ErrorMessage = "set the base model folder (config.json + model.safetensors)")]
    public string Path { get; set; } = "";
}
