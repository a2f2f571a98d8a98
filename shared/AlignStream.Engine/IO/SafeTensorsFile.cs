using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace AlignStream.Engine.IO;

/// <summary>
/// An open safetensors file: the parsed header (tensors ordered by offset, <c>__metadata__</c>) and
/// positional reads of single tensors straight into a caller's fp32 span, converting BF16/F16/F64 on the way.
/// Reads are positional, so several threads may read different tensors at once.
/// </summary>
/// <remarks>
/// Layout: 8-byte little-endian header length N, N bytes of JSON header, then the data section; each
/// tensor's <c>data_offsets</c> are [begin, end) relative to the data section.
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    // A header larger than this is certainly corrupt (real headers are kilobytes to a few megabytes).
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private const int ConvertChunkBytes = 1 << 16;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(string path, SafeFileHandle handle, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file path (used in every error message).</summary>
    public string Path { get; }

    /// <summary>Absolute byte offset of the data section (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Tensors in the order their data appears in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The string-to-string <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Looks a tensor up by name.</summary>
    public SafeTensorInfo this[string name] =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new CheckpointFormatException(Path, name, "tensor not found in this safetensors file.");

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks a tensor up by name without throwing.</summary>
    public bool TryGet(string name, out SafeTensorInfo info) => _byName.TryGetValue(name, out info!);

    /// <summary>Opens a file and validates its header against the file size. Throws <see cref="CheckpointFormatException"/> naming the file (and tensor) on any problem.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointFormatException(path, null, "file not found.");
        }

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var (dataStart, tensors, metadata) = ParseHeader(path, handle);
            return new SafeTensorsFile(path, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads every float tensor of a file into memory as fp32, in file order.</summary>
    public static SafeTensorsData Read(string path)
    {
        using var file = Open(path);
        var list = new List<SafeTensor>(file.Tensors.Count);
        foreach (var t in file.Tensors)
        {
            list.Add(new SafeTensor(t.Name, t.DType, t.Shape, file.ReadFloats(t.Name)));
        }

        return new SafeTensorsData(path, list, file.Metadata);
    }

    /// <summary>Reads one tensor into a new fp32 array.</summary>
    public float[] ReadFloats(string name)
    {
        var info = this[name];
        if (info.ElementCount > Array.MaxLength)
        {
            throw new CheckpointFormatException(Path, name, $"has {info.ElementCount} elements, more than one array can hold.");
        }

        var data = new float[info.ElementCount];
        ReadInto(name, data);
        return data;
    }

    /// <summary>
    /// Reads one tensor into <paramref name="destination"/>, whose length must equal the element count,
    /// after checking the stored shape equals <paramref name="expectedShape"/>.
    /// </summary>
    public void ReadInto(string name, Span<float> destination, IReadOnlyList<int> expectedShape)
    {
        var info = this[name];
        if (!info.Shape.SequenceEqual(expectedShape))
        {
            throw new CheckpointFormatException(Path, name,
                $"shape mismatch: expected {ParameterSpec.FormatShape(expectedShape)}, file has {ParameterSpec.FormatShape(info.Shape)}. The checkpoint does not match config.json.");
        }

        ReadInto(name, destination);
    }

    /// <summary>Reads one tensor into <paramref name="destination"/> (length must equal the element count), converting to fp32.</summary>
    public void ReadInto(string name, Span<float> destination)
    {
        var info = this[name];
        if (destination.Length != info.ElementCount)
        {
            throw new CheckpointFormatException(Path, name,
                $"destination holds {destination.Length} floats but the tensor has {info.ElementCount} (shape {ParameterSpec.FormatShape(info.Shape)}).");
        }

        if (!info.DType.IsFloat())
        {
            throw new CheckpointFormatException(Path, name,
                $"dtype {info.DType.ToHeaderName()} is not supported for weights; store F32, BF16 or F16.");
        }

        var offset = DataStart + info.DataBegin;
        if (info.DType == SafeTensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            // Fast path: the bytes land directly in the caller's buffer (e.g. the standby parameter buffer).
            ReadExactly(MemoryMarshal.AsBytes(destination), offset, name);
            return;
        }

        var elemSize = info.DType.Size();
        var chunkElems = ConvertChunkBytes / elemSize;
        var buffer = ArrayPool<byte>.Shared.Rent(ConvertChunkBytes);
        try
        {
            for (var done = 0; done < destination.Length; done += chunkElems)
            {
                var n = Math.Min(chunkElems, destination.Length - done);
                var bytes = buffer.AsSpan(0, n * elemSize);
                ReadExactly(bytes, offset + ((long)done * elemSize), name);
                Convert(info.DType, bytes, destination.Slice(done, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();

    private static void Convert(SafeTensorsDType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case SafeTensorsDType.BF16:
                for (var i = 0; i < dst.Length; i++)
                {
                    // bf16 is the high half of an fp32: widen exactly by shifting into place.
                    uint bits = BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(i * 2, 2));
                    dst[i] = BitConverter.UInt32BitsToSingle(bits << 16);
                }

                break;
            case SafeTensorsDType.F16:
                if (BitConverter.IsLittleEndian)
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src), dst);
                }
                else
                {
                    for (var i = 0; i < dst.Length; i++)
                    {
                        dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src.Slice(i * 2, 2));
                    }
                }

                break;
            case SafeTensorsDType.F64:
                for (var i = 0; i < dst.Length; i++)
                {
                    dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src.Slice(i * 8, 8));
                }

                break;
            case SafeTensorsDType.F32:
                for (var i = 0; i < dst.Length; i++)
                {
                    dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(i * 4, 4));
                }

                break;
            default:
                throw new InvalidOperationException($"no conversion from {type}");
        }
    }

    private void ReadExactly(Span<byte> buffer, long offset, string tensor)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(_handle, buffer, offset);
            if (n <= 0)
            {
                throw new CheckpointFormatException(Path, tensor, $"file ended at byte {offset} while reading the tensor; the file is truncated. Re-copy or re-save it.");
            }

            buffer = buffer[n..];
            offset += n;
        }
    }

    private static (long DataStart, List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(string path, SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
        {
            throw new CheckpointFormatException(path, null, $"file is {fileLength} bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file.");
        }

        Span<byte> lenBytes = stackalloc byte[8];
        if (RandomAccess.Read(handle, lenBytes, 0) != 8)
        {
            throw new CheckpointFormatException(path, null, "could not read the 8-byte header length.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes)
        {
            throw new CheckpointFormatException(path, null,
                $"header length {headerLength} goes beyond the file ({fileLength} bytes); the file is truncated or not a safetensors file.");
        }

        var header = new byte[headerLength];
        var got = 0;
        while (got < header.Length)
        {
            var n = RandomAccess.Read(handle, header.AsSpan(got), 8 + got);
            if (n <= 0)
            {
                throw new CheckpointFormatException(path, null, "file ended inside the header; it is truncated.");
            }

            got += n;
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<SafeTensorInfo>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"header is not valid JSON ({e.Message}); the file is corrupt or not a safetensors file.", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(path, null, "header must be a JSON object.");
            }

            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    ReadMetadata(path, prop.Value, metadata);
                    continue;
                }

                tensors.Add(ParseEntry(path, prop.Name, prop.Value, dataLength));
            }
        }

        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        for (var i = 1; i < tensors.Count; i++)
        {
            if (tensors[i].DataBegin < tensors[i - 1].DataEnd)
            {
                throw new CheckpointFormatException(path, tensors[i].Name,
                    $"data_offsets [{tensors[i].DataBegin}, {tensors[i].DataEnd}) overlap tensor '{tensors[i - 1].Name}' [{tensors[i - 1].DataBegin}, {tensors[i - 1].DataEnd}); the header is corrupt.");
            }
        }

        return (dataStart, tensors, metadata);
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointFormatException(path, "__metadata__", "must be an object of string values; the header is corrupt.");
        }

        foreach (var m in value.EnumerateObject())
        {
            // The format says string values; a writer that put numbers here should not block loading weights.
            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
        }
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array)
        {
            throw new CheckpointFormatException(path, name, "header entry needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" (array of two integers).");
        }

        var dtypeText = dtypeEl.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
        {
            throw new CheckpointFormatException(path, name, $"dtype '{dtypeText}' is not supported; convert the checkpoint to F32, BF16 or F16.");
        }

        var shape = new List<int>();
        long count = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var dim) || dim < 0)
            {
                throw new CheckpointFormatException(path, name, $"shape entry {d.GetRawText()} is not a non-negative integer.");
            }

            shape.Add(dim);
            count = checked(count * dim);
        }

        var offsets = offEl.EnumerateArray().ToArray();
        if (offsets.Length != 2 || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
        {
            throw new CheckpointFormatException(path, name, "data_offsets must be two integers [begin, end).");
        }

        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new CheckpointFormatException(path, name,
                $"data_offsets [{begin}, {end}) are out of range for a data section of {dataLength} bytes; the file is truncated or the header is corrupt.");
        }

        var expectedBytes = count * dtype.Size();
        if (end - begin != expectedBytes)
        {
            throw new CheckpointFormatException(path, name,
                $"data_offsets span {end - begin} bytes but shape {ParameterSpec.FormatShape(shape)} of {dtype.ToHeaderName()} needs {expectedBytes}.");
        }

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }
}
