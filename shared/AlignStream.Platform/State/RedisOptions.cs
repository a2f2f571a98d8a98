using AlignStream.Platform.Hosting;

namespace AlignStream.Platform.State;

/// <summary>Redis connection and key namespace. Section <c>Redis</c>.</summary>
public sealed class RedisOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>host:6379,password=...</c>.</summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every key (<c>{Namespace}:policy:current</c>); lets several pipelines share one Redis.</summary>
    public string Namespace { get; set; } = "align";

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return (nameof(Configuration), "must name a Redis endpoint such as 127.0.0.1:6379");
        }

        if (string.IsNullOrWhiteSpace(Namespace) || Namespace.Contains(' ', StringComparison.Ordinal) || Namespace.EndsWith(':'))
        {
            yield return (nameof(Namespace), "must be a non-empty key prefix without spaces or a trailing ':' (default align)");
        }
    }
}
