using System.Text;
using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>UTF-8 string access to Kafka headers.</summary>
public static class KafkaHeaderExtensions
{
    /// <summary>The last value of a header as UTF-8 text, or null when absent.</summary>
    public static string? GetString(this Headers? headers, string name)
    {
        if (headers is null || !headers.TryGetLastBytes(name, out var bytes))
        {
            return null;
        }
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Adds a header with a UTF-8 text value.</summary>
    public static Headers AddString(this Headers headers, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.Add(name, Encoding.UTF8.GetBytes(value));
        return headers;
    }
}
