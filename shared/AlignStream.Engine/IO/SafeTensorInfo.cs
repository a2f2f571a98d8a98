namespace AlignStream.Engine.IO;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">Stored element type.</param>
/// <param name="Shape">Row-major shape (empty for a scalar).</param>
/// <param name="DataBegin">Start offset in bytes, relative to the start of the data section.</param>
/// <param name="DataEnd">End offset (exclusive) relative to the start of the data section.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, IReadOnlyList<int> Shape, long DataBegin, long DataEnd)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Bytes of data.</summary>
    public long ByteLength => DataEnd - DataBegin;
}

/// <summary>A tensor read fully into memory as fp32.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="StoredDType">The element type in the file before conversion.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Data">Values converted to fp32, row-major.</param>
public sealed record SafeTensor(string Name, SafeTensorsDType StoredDType, IReadOnlyList<int> Shape, float[] Data);

/// <summary>A tensor to write: name, row-major shape and fp32 values.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Shape">Row-major shape; its product must equal the data length.</param>
/// <param name="Data">Values, row-major.</param>
public readonly record struct TensorToWrite(string Name, IReadOnlyList<int> Shape, ReadOnlyMemory<float> Data);
