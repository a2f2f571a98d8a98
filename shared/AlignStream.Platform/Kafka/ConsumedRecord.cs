using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>A decoded record with its position on the topic.</summary>
/// <typeparam name="T">The protobuf record type.</typeparam>
public sealed class ConsumedRecord<T>
    where T : class
{
    private readonly byte[] _rawValue;
    private string? _recordId;

    /// <summary>Creates the record view.</summary>
    public ConsumedRecord(string topic, int partition, long offset, string? key, T value, byte[] rawValue, Headers headers, DateTimeOffset timestamp)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Value = value;
        _rawValue = rawValue;
        Headers = headers;
        Timestamp = timestamp;
    }

    /// <summary>Source topic.</summary>
    public string Topic { get; }

    /// <summary>Source partition.</summary>
    public int Partition { get; }

    /// <summary>Offset within the partition.</summary>
    public long Offset { get; }

    /// <summary>The key (the prompt id for the project's topics), or null.</summary>
    public string? Key { get; }

    /// <summary>The decoded value.</summary>
    public T Value { get; }

    /// <summary>Headers as received, including traceparent.</summary>
    public Headers Headers { get; }

    /// <summary>The record's timestamp.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>
    /// The id a consumer deduplicates on: the record's own id field when it has one, else a hash of
    /// its bytes, so a redelivered record (same content) has the same id. See <see cref="RecordIds"/>.
    /// </summary>
    public string RecordId => _recordId ??= RecordIds.For(Value as Google.Protobuf.IMessage, _rawValue);
}
