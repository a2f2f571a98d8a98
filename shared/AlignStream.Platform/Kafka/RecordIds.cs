using System.Security.Cryptography;
using Google.Protobuf;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Stable record ids for idempotent consumers: redelivery after a rebalance or restart yields the same
/// id, so a consumer can drop what it already applied (for example with a state-store idempotency key).
/// </summary>
public static class RecordIds
{
    // Fields that already carry a deterministic id, in order of preference.
    private static readonly string[] IdFields = ["record_id", "pair_id", "prompt_id"];

    /// <summary>The record's own id field (record_id, pair_id, then prompt_id) when set; else <see cref="FromContent"/>.</summary>
    public static string For(IMessage? record, ReadOnlySpan<byte> rawValue)
    {
        if (record is not null)
        {
            foreach (var name in IdFields)
            {
                var field = record.Descriptor.FindFieldByName(name);
                if (field is { FieldType: Google.Protobuf.Reflection.FieldType.String, IsRepeated: false }
                    && field.Accessor.GetValue(record) is string id && id.Length > 0)
                {
                    return id;
                }
            }
        }
        return FromContent(rawValue);
    }

    /// <summary>"sha256:" and the first 32 hex digits of the SHA-256 of the bytes.</summary>
    public static string FromContent(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return "sha256:" + Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>A deterministic prompt id from its content and line number: "p-" and 24 hex digits.</summary>
    public static string PromptId(string task, string text, long lineNumber)
    {
        var material = System.Text.Encoding.UTF8.GetBytes($"{task}\u001f{text}\u001f{lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return "p-" + Convert.ToHexStringLower(SHA256.HashData(material))[..24];
    }
}
