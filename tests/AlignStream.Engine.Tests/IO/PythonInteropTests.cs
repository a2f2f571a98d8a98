using System.Diagnostics;
using System.Text.Json;
using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tests.IO;

/// <summary>Files the engine writes, read back by an independent Python reader (torch when installed).</summary>
public class PythonInteropTests
{
    [Fact]
    public void EngineWrittenFilesReadInPython()
    {
        using var dir = new ScratchDir();
        var path = dir.File("engine.safetensors");
        var r = new Random(4);
        var w = Enumerable.Range(0, 24).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        var h = Enumerable.Range(0, 5).Select(_ => (float)(r.NextDouble() * 100)).ToArray();
        SafeTensorsWriter.Write(path, [new TensorToWrite("model.layers.0.mlp.up_proj.weight", [6, 4], w), new TensorToWrite("model.norm.weight", [5], h)],
            new Dictionary<string, string> { ["format"] = "pt" });
        var bf16 = dir.File("engine-bf16.safetensors");
        SafeTensorsWriter.Write(bf16, [new TensorToWrite("x", [2, 12], w)], storeAs: SafeTensorsDType.BF16);

        var results = RunReader(path, bf16);
        if (results is null)
        {
            Assert.Fail("no python3 could run the independent reader: ./align setup installs Debian's python3");
        }

        using var fromPython = results[0];
        using var fromPythonBf16 = results[1];
        var root = fromPython.RootElement;
        Assert.Equal("pt", root.GetProperty("metadata").GetProperty("format").GetString());
        Assert.Equal(w, Bits(root, "model.layers.0.mlp.up_proj.weight"));
        Assert.Equal(h, Bits(root, "model.norm.weight"));
        Assert.Equal([6, 4], root.GetProperty("tensors").GetProperty("model.layers.0.mlp.up_proj.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));

        var engineView = SafeTensorsFile.Read(bf16)["x"].Data;
        Assert.Equal(engineView, Bits(fromPythonBf16.RootElement, "x"));
    }

    private static float[] Bits(JsonElement root, string name) =>
        [.. root.GetProperty("tensors").GetProperty(name).GetProperty("bits").EnumerateArray().Select(e => BitConverter.UInt32BitsToSingle(e.GetUInt32()))];

    private static JsonDocument[]? RunReader(params string[] files)
    {
        var script = Path.Combine(IoTestFiles.TestData, "read_safetensors.py");
        // Debian's interpreter carries python3-torch; any python3 works through the struct fallback.
        foreach (var python in new[] { Environment.GetEnvironmentVariable("ALIGN_TORCH_PYTHON"), "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(python))
            {
                continue;
            }

            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(script);
            foreach (var f in files)
            {
                psi.ArgumentList.Add(f);
            }
            Process? p;
            try
            {
                p = Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                continue;
            }

            if (p is null)
            {
                continue;
            }

            using (p)
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                Assert.True(p.WaitForExit(120_000), $"python safetensors reader ({python}) did not finish within 120 s");
                Assert.True(p.ExitCode == 0, $"python reader ({python}) failed: {stderr.Result}");
                return [.. stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line))];
            }
        }

        return null;
    }
}
