using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Kafka;

/// <summary>Runs <see cref="KafkaOptions.Validate"/> for the options system (with ValidateOnStart the host refuses to start).</summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
