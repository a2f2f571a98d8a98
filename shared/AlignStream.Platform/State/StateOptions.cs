using AlignStream.Platform.Hosting;

namespace AlignStream.Platform.State;

/// <summary>Which state store implementation a host uses. Section <c>State</c>.</summary>
public sealed class StateOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "State";

    /// <summary>Value of <see cref="Store"/> for Redis (distributed mode).</summary>
    public const string Redis = "Redis";

    /// <summary>Value of <see cref="Store"/> for the in-process store (single-process mode, tests).</summary>
    public const string InMemory = "InMemory";

    /// <summary><c>Redis</c> or <c>InMemory</c> (default; the single-process mode needs no server).</summary>
    public string Store { get; set; } = InMemory;

    /// <summary>True when <see cref="Store"/> selects Redis (case-insensitive).</summary>
    public bool UsesRedis => string.Equals(Store, Redis, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (!UsesRedis && !string.Equals(Store, InMemory, StringComparison.OrdinalIgnoreCase))
        {
            yield return (nameof(Store), "must be Redis or InMemory");
        }
    }
}
