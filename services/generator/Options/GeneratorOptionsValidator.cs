using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Options;

/// <summary>Words each problem of <see cref="GeneratorOptions"/> as <c>Generator:Key: message</c> so the host names the key to fix.</summary>
internal sealed class GeneratorOptionsValidator : IValidateOptions<GeneratorOptions>
{
    public ValidateOptionsResult Validate(string? name, GeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate().Select(p => $"{GeneratorOptions.SectionName}:{p.Member}: {p.Message}").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
