using Confluent.Kafka;
using Google.Protobuf;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// The process's one idempotent producer. Every produce returns after the brokers acknowledged it
/// (acks=all), and carries the current trace context in a <c>traceparent</c> header.
/// </summary>
public interface IKafkaProducer
{
    /// <summary>Produces a protobuf record keyed by <paramref name="key"/> (the prompt id); completes on acknowledgement.</summary>
    Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, string key, IMessage value, Headers? headers = null, CancellationToken cancellationToken = default);

    /// <summary>Produces raw bytes (dead letters, tools); completes on acknowledgement.</summary>
    Task<DeliveryResult<byte[], byte[]>> ProduceRawAsync(string topic, byte[]? key, byte[]? value, Headers? headers = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until every outstanding produce is acknowledged or the timeout passes; returns how many are still queued.</summary>
    int Flush(TimeSpan timeout);
}
