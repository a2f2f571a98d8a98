using AlignStream.Contracts;
using Google.Protobuf;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Decodes one record type from bytes, rejecting what the pipeline must not process: empty values,
/// bytes that are not the message, and records without a schema version or from a newer schema.
/// </summary>
/// <typeparam name="T">A generated protobuf message with a <c>schema_version</c> field.</typeparam>
public sealed class ProtobufRecordCodec<T>
    where T : class, IMessage<T>, new()
{
    private readonly MessageParser<T> _parser = new(() => new T());
    private readonly Google.Protobuf.Reflection.FieldDescriptor? _schemaVersion = new T().Descriptor.FindFieldByName("schema_version");

    /// <summary>The shared instance (the codec is stateless).</summary>
    public static ProtobufRecordCodec<T> Instance { get; } = new();

    /// <summary>Decodes, or returns false with the reason.</summary>
    public bool TryDecode(byte[]? bytes, out T record, out string reason)
    {
        record = null!;
        if (bytes is null || bytes.Length == 0)
        {
            reason = $"empty value: expected a {typeof(T).Name} record";
            return false;
        }
        try
        {
            record = _parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            reason = $"not a valid {typeof(T).Name} protobuf: {e.Message}";
            return false;
        }
        if (_schemaVersion is not null)
        {
            // Garbage can parse as unknown fields; a missing schema version tells it apart.
            var version = (uint)_schemaVersion.Accessor.GetValue(record);
            if (version == 0)
            {
                reason = $"{typeof(T).Name} without schema_version (not an AlignStream record)";
                return false;
            }
            if (version > RecordSchema.Version)
            {
                reason = $"{typeof(T).Name} schema_version {version} is newer than this reader's {RecordSchema.Version}: upgrade the consumer";
                return false;
            }
        }
        reason = "";
        return true;
    }

    /// <summary>Encodes a record.</summary>
    public static byte[] Encode(T record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.ToByteArray();
    }
}
