using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Hosting;

/// <summary>
/// Validates options bound from one configuration section with DataAnnotations and <see cref="IValidatedOptions"/>,
/// and words each failure as <c>Section:Member: message (got value)</c> so the runner can name the key and its fix.
/// </summary>
internal sealed class SectionOptionsValidator<T>(string sectionName) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var r in results)
        {
            var members = r.MemberNames.Any() ? r.MemberNames : [""];
            foreach (var m in members)
            {
                failures.Add(Format(m, r.ErrorMessage ?? "is invalid", ValueOf(options, m)));
            }
        }

        if (options is IValidatedOptions custom)
        {
            foreach (var (member, message) in custom.Validate())
            {
                failures.Add(Format(member, message, ValueOf(options, member)));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string Format(string member, string message, string? value)
    {
        var key = member.Length == 0 ? sectionName : sectionName + ":" + member;
        return value is null ? $"{key}: {message}" : $"{key}: {message} (got {value})";
    }

    private static string? ValueOf(T options, string member)
    {
        if (member.Length == 0)
        {
            return null;
        }

        var value = typeof(T).GetProperty(member)?.GetValue(options);
        return value switch
        {
            null => "nothing",
            string s => s.Length == 0 ? "an empty value" : $"'{s}'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }
}
