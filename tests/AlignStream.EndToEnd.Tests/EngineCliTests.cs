using System.Text.Json;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// The engine verbs of the `align` tool as other checks script them: one JSON object on stdout, and answers that
/// agree with each other across code paths (KV-cache sampling vs full-sequence log-probs).
/// </summary>
public sealed class EngineCliTests : IDisposable
{
    private readonly TempFolder _temp = new("e2e-engine");
    private readonly string _model;

    public EngineCliTests()
    {
        _model = TinyModel.Save(Path.Combine(_temp.Path, "model"), seed: 5, std: 0.2f);
    }

    public void Dispose() => _temp.Dispose();

    private static JsonElement Run(params string[] args)
    {
        var (code, output) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, .. args], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"align {string.Join(' ', args)} exited {code}: {output}");
        var line = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    [Fact]
    public void Sampling_is_reproducible_from_the_seed_and_reports_behavior_log_probs()
    {
        string[] args = ["sample", "--model", _model, "--prompt", "The cat", "--n", "3", "--max-tokens", "12", "--json"];
        var sample = Run([.. args, "--seed", "42"]);
        Assert.Equal(sample.ToString(), Run([.. args, "--seed", "42"]).ToString());
        Assert.NotEqual(sample.ToString(), Run([.. args, "--seed", "43"]).ToString());

        var samples = sample.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(3, samples.Count);
        foreach (var s in samples)
        {
            var tokens = s.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
            var behavior = s.GetProperty("logprobs").EnumerateArray().Select(t => t.GetDouble()).ToArray();
            Assert.InRange(tokens.Length, 1, 12);
            Assert.Equal(tokens.Length, behavior.Length);
            Assert.All(behavior, lp => Assert.InRange(lp, -50, 0));
        }
    }

    [Fact]
    public void Logprobs_scores_each_byte_of_the_text_after_the_prompt()
    {
        var result = Run("logprobs", "--model", _model, "--prompt", "ab", "--text", "cd!", "--json");
        Assert.Equal([99, 100, 33], result.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Contains(97, result.GetProperty("prompt_tokens").EnumerateArray().Select(t => t.GetInt32()));
        var logprobs = result.GetProperty("logprobs").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        Assert.All(logprobs, lp => Assert.InRange(lp, double.NegativeInfinity, 0));
        Assert.Equal(logprobs.Sum(), result.GetProperty("sum").GetDouble(), 4);
    }

    [Fact]
    public void Dpo_step_from_policy_equal_to_reference_has_loss_log_2_and_writes_weights_and_gradients()
    {
        var pairs = Path.Combine(_temp.Path, "pairs.jsonl");
        File.WriteAllLines(pairs,
        [
            JsonSerializer.Serialize(new { prompt = "Say:", chosen = " good", rejected = " bad" }),
            JsonSerializer.Serialize(new { prompt = "2+2=", chosen = "4", rejected = "5" }),
        ]);
        var outDir = Path.Combine(_temp.Path, "stepped");
        var grads = Path.Combine(_temp.Path, "grads.safetensors");
        var result = Run("dpo-step", "--model", _model, "--pairs", pairs, "--beta", "0.1", "--lr", "0.01", "--out", outDir, "--grads-out", grads, "--json");

        // With the policy as its own reference every implicit reward margin is 0: loss = softplus(0) = ln 2.
        Assert.Equal(Math.Log(2), result.GetProperty("loss").GetDouble(), 5);
        var before = SafeTensorsFile.Read(Path.Combine(_model, "model.safetensors"));
        var after = SafeTensorsFile.Read(Path.Combine(outDir, "model.safetensors"));
        var gradients = SafeTensorsFile.Read(grads);
        const string name = "model.layers.0.self_attn.q_proj.weight";
        Assert.NotEqual(before[name].Data, after[name].Data);
        Assert.Equal(before[name].Data.Length, gradients[name].Data.Length);
        Assert.Contains(gradients[name].Data, g => g != 0);
        Assert.NotNull(LlamaModel.Load(outDir));
    }

    [Fact]
    public void A_checkpoint_written_by_the_engine_scores_the_same_in_an_independent_PyTorch_Llama()
    {
        var result = Run("logprobs", "--model", _model, "--prompt", "Hello", "--text", " world, again.", "--json");
        int[] prompt = [.. result.GetProperty("prompt_tokens").EnumerateArray().Select(t => t.GetInt32())];
        int[] text = [.. result.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
        var engine = result.GetProperty("logprobs").EnumerateArray().Select(t => t.GetDouble()).ToArray();

        // Debian's python3-torch (installed by ./align setup) runs the reference Llama of tools/golden.
        var script = Path.Combine(RepoPaths.Root, "tools", "golden", "torch_logprobs.py");
        var (code, output) = ServerProcess.RunToEnd("/usr/bin/python3",
            [script, _model, JsonSerializer.Serialize(prompt.Concat(text)), prompt.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(120));
        Assert.True(code == 0, output);
        var torch = JsonDocument.Parse(output.Split('\n').Last(l => l.StartsWith('{'))).RootElement.GetProperty("logprobs")
            .EnumerateArray().Select(t => t.GetDouble()).ToArray();
        Assert.Equal(engine.Length, torch.Length);
        for (var i = 0; i < engine.Length; i++)
        {
            Assert.True(Math.Abs(engine[i] - torch[i]) < 1e-4, $"token {i}: engine {engine[i]} vs torch {torch[i]}");
        }
    }
}
