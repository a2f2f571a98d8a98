using System.ComponentModel.DataAnnotations;
using AlignStream.Platform.Hosting;

namespace AlignStream.Platform.Bus;

/// <summary>Control-plane transport and consumer retry. Section <c>Bus</c>.</summary>
public sealed class BusOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Bus";

    /// <summary>Value of <see cref="Transport"/> for MassTransit's in-memory transport (single process).</summary>
    public const string InMemory = "InMemory";

    /// <summary>Value of <see cref="Transport"/> for RabbitMQ (distributed mode; see <see cref="RabbitMqOptions"/>).</summary>
    public const string RabbitMq = "RabbitMq";

    /// <summary><c>InMemory</c> (default) or <c>RabbitMq</c>.</summary>
    public string Transport { get; set; } = InMemory;

    /// <summary>How many times a failing consumer is retried before the message goes to the error queue.</summary>
    [Range(0, 20, ErrorMessage = "must be between 0 and 20")]
    public int RetryLimit { get; set; } = 3;

    /// <summary>Pause between retries, in milliseconds.</summary>
    [Range(0, 60_000, ErrorMessage = "must be between 0 and 60000")]
    public int RetryIntervalMs { get; set; } = 200;

    /// <summary>
    /// Optional prefix of receive-endpoint (queue) names. Give each replica its own (e.g. its instance id) when every
    /// replica must see every event; replicas sharing a prefix share queues and split the messages.
    /// </summary>
    public string EndpointPrefix { get; set; } = "";

    /// <summary>True when <see cref="Transport"/> selects RabbitMQ (case-insensitive).</summary>
    public bool UsesRabbitMq => string.Equals(Transport, RabbitMq, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (!UsesRabbitMq && !string.Equals(Transport, InMemory, StringComparison.OrdinalIgnoreCase))
        {
            yield return (nameof(Transport), "must be InMemory or RabbitMq");
        }

        if (EndpointPrefix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            yield return (nameof(EndpointPrefix), "may hold only letters, digits, '-', '_' and '.'");
        }
    }
}
