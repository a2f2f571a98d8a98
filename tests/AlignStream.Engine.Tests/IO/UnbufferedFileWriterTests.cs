using System.Security.Cryptography;
using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tests.IO;

/// <summary>
/// The direct-I/O writer: whatever the lengths and however the writes are cut, the file holds exactly the bytes
/// written, its hash is theirs, and the buffered fallback gives the same file.
/// </summary>
public class UnbufferedFileWriterTests
{
    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(UnbufferedFileWriter.Alignment - 1, true)]
    [InlineData(UnbufferedFileWriter.Alignment, true)]
    [InlineData(UnbufferedFileWriter.Alignment + 1, true)]
    [InlineData(1 << 20, true)]
    [InlineData((1 << 20) + 17, true)]
    [InlineData((3 << 20) + 12345, true)]
    [InlineData((3 << 20) + 12345, false)]
    public void The_file_holds_exactly_the_bytes_written_and_their_hash(int length, bool direct)
    {
        using var dir = new ScratchDir();
        var path = dir.File("out.bin");
        var expected = Bytes(length, length);
        string? sha;
        using (var w = UnbufferedFileWriter.Create(path, sha256: true, direct: direct))
        {
            // Uneven pieces, so writes straddle the staging buffer's and the blocks' boundaries.
            var at = 0;
            var piece = 1;
            while (at < length)
            {
                var n = Math.Min(piece, length - at);
                w.Write(expected.AsSpan(at, n));
                at += n;
                piece = (piece * 7) + 3;
            }
            Assert.Equal(length, w.Written);
            if (!direct)
            {
                Assert.False(w.IsDirect);
            }
            sha = w.Complete();
        }
        Assert.Equal(expected, File.ReadAllBytes(path));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), sha);
    }

    [Fact]
    public void On_a_linux_disk_file_system_the_writes_bypass_the_page_cache()
    {
        using var dir = new ScratchDir();
        var fileSystem = FileSystemOf(dir.Path);
        if (!OperatingSystem.IsLinux() || fileSystem is not ("ext4" or "xfs" or "btrfs"))
        {
            // Elsewhere the writer may fall back to buffered writes; the content tests above cover that path.
            return;
        }
        using var w = UnbufferedFileWriter.Create(dir.File("direct.bin"));
        w.Write(Bytes((2 << 20) + 5, 1));
        w.Complete();
        Assert.True(w.IsDirect, $"writes to {fileSystem} fell back to the page cache");
    }

    // The type of the file system holding a path, from the longest mount point above it in /proc/mounts.
    private static string? FileSystemOf(string path)
    {
        if (!File.Exists("/proc/mounts"))
        {
            return null;
        }
        var full = Path.GetFullPath(path);
        return File.ReadLines("/proc/mounts")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 2 && (full == f[1] || full.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
            .OrderByDescending(f => f[1].Length)
            .Select(f => f[2])
            .FirstOrDefault();
    }

    [Fact]
    public void Without_hashing_complete_returns_null_and_writes_after_it_are_refused()
    {
        using var dir = new ScratchDir();
        var path = dir.File("plain.bin");
        using var w = UnbufferedFileWriter.Create(path);
        w.Write(Bytes(5000, 3));
        Assert.Null(w.Complete());
        Assert.Throws<InvalidOperationException>(() => w.Write(Bytes(1, 4)));
        Assert.Throws<InvalidOperationException>(() => w.Complete());
        Assert.Equal(5000, new FileInfo(path).Length);
    }

    [Fact]
    public void An_existing_file_is_never_overwritten()
    {
        using var dir = new ScratchDir();
        var path = dir.File("taken.bin");
        File.WriteAllText(path, "keep me");
        Assert.Throws<IOException>(() => UnbufferedFileWriter.Create(path));
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void A_missing_folder_is_a_clear_error()
    {
        using var dir = new ScratchDir();
        var e = Assert.ThrowsAny<IOException>(() => UnbufferedFileWriter.Create(dir.File(Path.Combine("no-such-folder", "x.bin"))));
        Assert.Contains("no-such-folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Safetensors_written_hashed_past_the_cache_equal_the_buffered_file_and_hash_it()
    {
        using var dir = new ScratchDir();
        var r = new Random(9);
        var big = new float[300_001];
        for (var i = 0; i < big.Length; i++)
        {
            big[i] = (float)r.NextDouble();
        }
        TensorToWrite[] tensors = [new("b.weight", [300_001], big), new("a.bias", [3], new[] { 1f, -2f, 0.5f })];
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        var buffered = dir.File("buffered.safetensors");
        var direct = dir.File("direct.safetensors");
        SafeTensorsWriter.Write(buffered, tensors, meta);
        var sha = SafeTensorsWriter.WriteHashed(direct, tensors, meta, pastPageCache: true);
        var bytes = File.ReadAllBytes(direct);
        Assert.Equal(File.ReadAllBytes(buffered), bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
        using var read = SafeTensorsFile.Open(direct);
        Assert.Equal(big, read.ReadFloats("b.weight"));
    }
}
