using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tests.IO;

public class SafeTensorsTests
{
    private static float[] RandomValues(int n, int seed)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = (float)((r.NextDouble() * 2) - 1);
        }

        return v;
    }

    [Fact]
    public void RoundTripPreservesBitsShapesAndMetadata()
    {
        using var dir = new ScratchDir();
        var path = dir.File("rt.safetensors");
        var a = RandomValues(12, 1);
        var b = RandomValues(7, 2);
        var c = new[] { float.NaN, float.PositiveInfinity, -0f, 1e-42f };
        SafeTensorsWriter.Write(path,
        [
            new TensorToWrite("zeta", [3, 4], a),
            new TensorToWrite("alpha", [7], b),
            new TensorToWrite("mid.special", [2, 1, 2], c),
            new TensorToWrite("scalar", [], new[] { 4.25f }),
            new TensorToWrite("empty", [0, 3], Array.Empty<float>()),
        ], new Dictionary<string, string> { ["format"] = "pt", ["step"] = "17" });

        var data = SafeTensorsFile.Read(path);
        Assert.Equal(["alpha", "empty", "mid.special", "scalar", "zeta"], data.Tensors.Select(t => t.Name));
        Assert.Equal(a, data["zeta"].Data);
        Assert.Equal([3, 4], data["zeta"].Shape);
        Assert.Equal(b, data["alpha"].Data);
        Assert.Equal(c.Select(BitConverter.SingleToUInt32Bits), data["mid.special"].Data.Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal([4.25f], data["scalar"].Data);
        Assert.Empty(data["scalar"].Shape);
        Assert.Empty(data["empty"].Data);
        Assert.Equal("17", data.Metadata["step"]);
        Assert.All(data.Tensors, t => Assert.Equal(SafeTensorsDType.F32, t.StoredDType));
    }

    [Fact]
    public void HeaderLayoutFollowsTheFormat()
    {
        using var dir = new ScratchDir();
        var path = dir.File("layout.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new TensorToWrite("b", [2, 3], RandomValues(6, 3)),
            new TensorToWrite("a", [5], RandomValues(5, 4)),
            new TensorToWrite("c", [1], RandomValues(1, 5)),
        ]);

        // Parse the bytes independently of the reader.
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^\{.*\} *$", System.Text.RegularExpressions.RegexOptions.Singleline), headerText);
        using var header = JsonDocument.Parse(headerText);
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["a", "b", "c"], names);
        long expectedBegin = 0;
        foreach (var (name, count) in new[] { ("a", 5), ("b", 6), ("c", 1) })
        {
            var e = header.RootElement.GetProperty(name);
            Assert.Equal("F32", e.GetProperty("dtype").GetString());
            var off = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            Assert.Equal([expectedBegin, expectedBegin + (count * 4)], off);
            expectedBegin += count * 4;
        }

        Assert.Equal(8 + n + expectedBegin, bytes.Length);
        // First value of "a" sits at the start of the data section.
        Assert.Equal(RandomValues(5, 4)[0], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n))));
    }

    [Fact]
    public void ReadIntoFillsASliceOfACallerBufferAndChecksShape()
    {
        using var dir = new ScratchDir();
        var path = dir.File("into.safetensors");
        var w = RandomValues(6, 9);
        SafeTensorsWriter.Write(path, [new TensorToWrite("w", [2, 3], w)]);
        var buffer = new float[10];
        using var f = SafeTensorsFile.Open(path);
        f.ReadInto("w", buffer.AsSpan(2, 6), [2, 3]);
        Assert.Equal(0f, buffer[0]);
        Assert.Equal(w, buffer[2..8]);
        Assert.Equal(0f, buffer[9]);

        var shape = Assert.Throws<CheckpointFormatException>(() => f.ReadInto("w", buffer.AsSpan(0, 6), [3, 2]));
        Assert.Contains("[3, 2]", shape.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", shape.Message, StringComparison.Ordinal);
        Assert.Contains(path, shape.Message, StringComparison.Ordinal);
        Assert.Equal("w", shape.Item);
        var len = Assert.Throws<CheckpointFormatException>(() => f.ReadInto("w", buffer.AsSpan(0, 5)));
        Assert.Contains("5", len.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<CheckpointFormatException>(() => f.ReadInto("nope", buffer));
        Assert.Equal("nope", missing.Item);
    }

    [Fact]
    public void Bf16WriteRoundsToNearestEven()
    {
        // Hand-computed: 1 + 2^-8 is halfway between bf16 1.0 and 1 + 2^-7 and rounds to the even 1.0;
        // 1 + 3*2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 and rounds up to the even 1 + 2^-6.
        Assert.Equal(0x3F80, SafeTensorsWriter.ToBFloat16Bits(1f));
        Assert.Equal(0x3F80, SafeTensorsWriter.ToBFloat16Bits(1f + MathF.Pow(2, -8)));
        Assert.Equal(0x3F82, SafeTensorsWriter.ToBFloat16Bits(1f + (3 * MathF.Pow(2, -8))));
        Assert.Equal(0x3F81, SafeTensorsWriter.ToBFloat16Bits(1f + (1.5f * MathF.Pow(2, -8)) + MathF.Pow(2, -9)));
        Assert.Equal(0xC000, SafeTensorsWriter.ToBFloat16Bits(-2f));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)SafeTensorsWriter.ToBFloat16Bits(float.NaN) << 16)));

        using var dir = new ScratchDir();
        var path = dir.File("bf16.safetensors");
        float[] values = [1f, 1f + MathF.Pow(2, -8), 1f + (3 * MathF.Pow(2, -8)), -2f, 0.1f];
        SafeTensorsWriter.Write(path, [new TensorToWrite("x", [5], values)], storeAs: SafeTensorsDType.BF16);
        var back = SafeTensorsFile.Read(path)["x"];
        Assert.Equal(SafeTensorsDType.BF16, back.StoredDType);
        Assert.Equal([1f, 1f, 1f + MathF.Pow(2, -6), -2f, BitConverter.UInt32BitsToSingle(0x3DCD0000)], back.Data);
        Assert.Equal(8 + 5 * 2, new FileInfo(path).Length - ReadHeaderLength(path));
    }

    [Fact]
    public void ReadsAFileWrittenByTorchWithMixedDtypes()
    {
        var path = Path.Combine(IoTestFiles.TestData, "torch_mixed.safetensors");
        var expected = IoTestFiles.Expected("torch_mixed.safetensors");
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal("make_fixtures.py", f.Metadata["source"]);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), f.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(SafeTensorsDType.BF16, f["a.bias"].DType);
        Assert.Equal(SafeTensorsDType.F16, f["m.half"].DType);
        Assert.Equal(SafeTensorsDType.F32, f["z.weight"].DType);
        foreach (var (name, (shape, values)) in expected)
        {
            Assert.Equal(shape, f[name].Shape);
            var got = f.ReadFloats(name);
            Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), got.Select(BitConverter.SingleToUInt32Bits));
        }
    }

    [Fact]
    public void MissingAndTinyFilesNameTheFile()
    {
        using var dir = new ScratchDir();
        var missing = dir.File("absent.safetensors");
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("not found", e.Message, StringComparison.Ordinal);

        var tiny = dir.File("tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        var t = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(tiny));
        Assert.Contains(tiny, t.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", t.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthBeyondFileIsReported()
    {
        using var dir = new ScratchDir();
        var path = dir.File("h.safetensors");
        IoTestFiles.WriteRaw(path, "{}", [], declaredHeaderLength: 1000);
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("header length 1000", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedDataNamesTheTensor()
    {
        using var dir = new ScratchDir();
        var path = dir.File("t.safetensors");
        SafeTensorsWriter.Write(path, [new TensorToWrite("a", [4], RandomValues(4, 1)), new TensorToWrite("b", [4], RandomValues(4, 2))]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Equal("b", e.Item);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]", "a", "JSON")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 80]}}", "a", "out of range")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", "b", "overlap")]
    [InlineData("{\"a\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", "a", "F8_E4M3")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", "a", "needs 12")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", "a", "non-negative")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2]}}", "a", "data_offsets")]
    [InlineData("[1, 2]", null, "object")]
    public void MalformedHeadersNameFileAndTensor(string header, string? tensor, string fragment)
    {
        using var dir = new ScratchDir();
        var path = dir.File("bad.safetensors");
        IoTestFiles.WriteRaw(path, header, new byte[16]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        if (tensor is not null && fragment != "JSON")
        {
            Assert.Equal(tensor, e.Item);
            Assert.Contains($"'{tensor}'", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NonStringMetadataIsKeptAsJsonText()
    {
        using var dir = new ScratchDir();
        var path = dir.File("meta.safetensors");
        IoTestFiles.WriteRaw(path, "{\"__metadata__\": {\"format\": \"pt\", \"step\": 5}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", BitConverter.GetBytes(1.5f));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal("5", f.Metadata["step"]);
        Assert.Equal([1.5f], f.ReadFloats("a"));
    }

    [Fact]
    public void IntegerTensorsAreListedButNotReadAsWeights()
    {
        using var dir = new ScratchDir();
        var path = dir.File("int.safetensors");
        IoTestFiles.WriteRaw(path, "{\"step\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", new byte[8]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(SafeTensorsDType.I64, f["step"].DType);
        var e = Assert.Throws<CheckpointFormatException>(() => f.ReadFloats("step"));
        Assert.Equal("step", e.Item);
        Assert.Contains("I64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterRejectsInconsistentInput()
    {
        using var dir = new ScratchDir();
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("x"), [new TensorToWrite("a", [2, 2], new float[3])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("x"), [new TensorToWrite("a", [1], new float[1]), new TensorToWrite("a", [1], new float[1])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("x"), [new TensorToWrite("a", [1], new float[1])], storeAs: SafeTensorsDType.I32));
    }

    private static long ReadHeaderLength(string path)
    {
        var b = File.ReadAllBytes(path);
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(b);
    }
}
