using System.Text;
using System.Text.Json;

namespace AlignStream.Engine.Tests.IO;

/// <summary>Locates committed fixtures (relative to the repository root) and makes scratch folders.</summary>
internal static class IoTestFiles
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>Folder of the committed IO fixtures written by TestData/make_fixtures.py.</summary>
    public static string TestData => Path.Combine(Root.Value, "tests", "AlignStream.Engine.Tests", "IO", "TestData");

    /// <summary>Expected float32 bit patterns per file and tensor, as torch computed them.</summary>
    public static Dictionary<string, (int[] Shape, float[] Values)> Expected(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData, "expected.json")));
        var result = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var t in doc.RootElement.GetProperty(file).EnumerateObject())
        {
            var shape = t.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var values = t.Value.GetProperty("bits").EnumerateArray().Select(e => BitConverter.UInt32BitsToSingle(e.GetUInt32())).ToArray();
            result[t.Name] = (shape, values);
        }

        return result;
    }

    /// <summary>Writes a safetensors file from a raw header string and data bytes (for malformed-file tests).</summary>
    public static void WriteRaw(string path, string header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes(declaredHeaderLength ?? (ulong)h.Length));
        f.Write(h);
        f.Write(data);
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("could not find the repository root (a folder holding AlignStream.slnx) above the test binaries.");
    }
}

/// <summary>A fresh temporary folder deleted on dispose.</summary>
internal sealed class ScratchDir : IDisposable
{
    public ScratchDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alignstream-io-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
