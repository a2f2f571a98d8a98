using System.Globalization;
using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Writes a record that cannot be decoded or processed to the dead-letter topic: original key, value and
/// headers, plus headers naming the source topic, partition, offset, stage and reason.
/// </summary>
public sealed class DeadLetterWriter
{
    /// <summary>Reason kind: the bytes are not a valid record.</summary>
    public const string DecodeKind = "decode";

    /// <summary>Reason kind: the handler declared the record permanently bad.</summary>
    public const string PermanentKind = "permanent";

    /// <summary>Reason kind: transient errors outlasted the retries.</summary>
    public const string ExhaustedKind = "attempts-exhausted";

    private readonly IKafkaProducer _producer;

    /// <summary>Creates the writer for <paramref name="deadLetterTopic"/>.</summary>
    public DeadLetterWriter(IKafkaProducer producer, string deadLetterTopic)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        ArgumentException.ThrowIfNullOrWhiteSpace(deadLetterTopic);
        Topic = deadLetterTopic;
    }

    /// <summary>The dead-letter topic.</summary>
    public string Topic { get; }

    /// <summary>Writes one dead letter; completes on acknowledgement.</summary>
    public Task<DeliveryResult<byte[], byte[]>> WriteAsync(ConsumeResult<byte[], byte[]> source, string stage, string kind, string reason, Exception? error, int attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var headers = new Headers();
        if (source.Message.Headers is not null)
        {
            foreach (var h in source.Message.Headers)
            {
                headers.Add(h.Key, h.GetValueBytes());
            }
        }
        headers.AddString(KafkaHeaderNames.SourceTopic, source.Topic)
            .AddString(KafkaHeaderNames.SourcePartition, source.Partition.Value.ToString(CultureInfo.InvariantCulture))
            .AddString(KafkaHeaderNames.SourceOffset, source.Offset.Value.ToString(CultureInfo.InvariantCulture))
            .AddString(KafkaHeaderNames.Stage, stage)
            .AddString(KafkaHeaderNames.ReasonKind, kind)
            .AddString(KafkaHeaderNames.Reason, Truncate(reason, 4096))
            .AddString(KafkaHeaderNames.Attempts, attempts.ToString(CultureInfo.InvariantCulture))
            .AddString(KafkaHeaderNames.DeadLetteredAtUnixMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        if (error is not null)
        {
            headers.AddString(KafkaHeaderNames.ErrorType, error.GetType().FullName ?? error.GetType().Name);
        }
        return _producer.ProduceRawAsync(Topic, source.Message.Key, source.Message.Value, headers, cancellationToken);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
