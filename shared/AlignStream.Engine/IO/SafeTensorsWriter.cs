using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AlignStream.Engine.IO;

/// <summary>
/// Writes safetensors files: 8-byte little-endian header length, a JSON header padded with spaces to a
/// multiple of 8 bytes, then the tensors' data in ordinal name order with contiguous data_offsets
/// (the same order Hugging Face's writer uses, so equal content gives equal bytes).
/// </summary>
public static class SafeTensorsWriter
{
    private const int ChunkElements = 1 << 14;

    /// <summary>Writes tensors as fp32 (or BF16/F16 via <paramref name="storeAs"/>) with optional <c>__metadata__</c>.</summary>
    /// <param name="path">Target file; overwritten.</param>
    /// <param name="tensors">Tensors to write; names must be unique and each shape's product must equal its data length.</param>
    /// <param name="metadata">Optional string map written as <c>__metadata__</c>.</param>
    /// <param name="storeAs">F32 (default), BF16 (round to nearest even) or F16.</param>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType storeAs = SafeTensorsDType.F32)
    {
        var (sorted, header) = Prepare(path, tensors, metadata, storeAs);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteBody(stream, sorted, header, storeAs);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Writes a new file (<paramref name="path"/> must not exist), on disk when this returns, and returns its SHA-256
    /// (lower-case hex), hashed as the bytes were written so nobody reads the file back to hash it.
    /// <paramref name="pastPageCache"/> writes it with direct I/O (<see cref="UnbufferedFileWriter"/>): for a file that
    /// nobody reads soon. Leave it off when readers follow: they then find the bytes in the page cache.
    /// </summary>
    public static string WriteHashed(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        SafeTensorsDType storeAs = SafeTensorsDType.F32, bool pastPageCache = false)
    {
        var (sorted, header) = Prepare(path, tensors, metadata, storeAs);
        using var stream = UnbufferedFileWriter.Create(path, sha256: true, direct: pastPageCache);
        WriteBody(stream, sorted, header, storeAs);
        return stream.Complete()!;
    }

    /// <summary>Convenience overload taking (name, shape, data) tuples.</summary>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType storeAs = SafeTensorsDType.F32) =>
        Write(path, tensors.Select(t => new TensorToWrite(t.Name, t.Shape, t.Data)), metadata, storeAs);

    /// <summary>Rounds an fp32 to bf16 bits, nearest-even (NaN stays NaN).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        var roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    private static (List<TensorToWrite> Sorted, byte[] Header) Prepare(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata, SafeTensorsDType storeAs)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (storeAs is not (SafeTensorsDType.F32 or SafeTensorsDType.BF16 or SafeTensorsDType.F16))
        {
            throw new ArgumentException($"storeAs must be F32, BF16 or F16, got {storeAs}.", nameof(storeAs));
        }

        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in sorted)
        {
            if (string.IsNullOrEmpty(t.Name) || t.Name == "__metadata__")
            {
                throw new ArgumentException($"invalid tensor name '{t.Name}' for {path}.", nameof(tensors));
            }

            if (!seen.Add(t.Name))
            {
                throw new ArgumentException($"tensor '{t.Name}' appears twice in the list for {path}.", nameof(tensors));
            }

            long count = 1;
            foreach (var d in t.Shape)
            {
                if (d < 0)
                {
                    throw new ArgumentException($"tensor '{t.Name}' has negative dimension in shape {ParameterSpec.FormatShape(t.Shape)}.", nameof(tensors));
                }

                count *= d;
            }

            if (count != t.Data.Length)
            {
                throw new ArgumentException($"tensor '{t.Name}': shape {ParameterSpec.FormatShape(t.Shape)} has {count} elements but {t.Data.Length} values were given.", nameof(tensors));
            }
        }

        return (sorted, BuildHeader(sorted, metadata, storeAs));
    }

    private static void WriteBody(Stream stream, List<TensorToWrite> sorted, byte[] header, SafeTensorsDType storeAs)
    {
        var elemSize = storeAs.Size();
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        stream.Write(header);
        foreach (var t in sorted)
        {
            WriteData(stream, t.Data.Span, storeAs, elemSize);
        }
    }

    private static byte[] BuildHeader(List<TensorToWrite> sorted, IReadOnlyDictionary<string, string>? metadata, SafeTensorsDType storeAs)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    w.WriteString(kv.Key, kv.Value);
                }

                w.WriteEndObject();
            }

            long offset = 0;
            foreach (var t in sorted)
            {
                var bytes = (long)t.Data.Length * storeAs.Size();
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", storeAs.ToHeaderName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }

            w.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned (readers may map it as float arrays).
        var length = buffer.WrittenCount;
        var padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, ReadOnlySpan<float> data, SafeTensorsDType storeAs, int elemSize)
    {
        if (storeAs == SafeTensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(ChunkElements * elemSize);
        try
        {
            for (var start = 0; start < data.Length; start += ChunkElements)
            {
                var n = Math.Min(ChunkElements, data.Length - start);
                var span = chunk.AsSpan(0, n * elemSize);
                for (var i = 0; i < n; i++)
                {
                    var v = data[start + i];
                    switch (storeAs)
                    {
                        case SafeTensorsDType.BF16:
                            BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(i * 2, 2), ToBFloat16Bits(v));
                            break;
                        case SafeTensorsDType.F16:
                            BinaryPrimitives.WriteHalfLittleEndian(span.Slice(i * 2, 2), (Half)v);
                            break;
                        default:
                            BinaryPrimitives.WriteSingleLittleEndian(span.Slice(i * 4, 4), v);
                            break;
                    }
                }

                stream.Write(span);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
