using System.Text;
using System.Text.Json;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Training;

namespace AlignStream.Engine.Tests.Golden;

/// <summary>
/// Compares the engine with the PyTorch reference state written by tools/golden/make_golden.py: logits,
/// token log-probs, entropies, the DPO loss, every gradient and every weight after one AdamW step.
/// Failures list the largest absolute difference of every tensor.
/// </summary>
[Collection("Gemm")]
public sealed class GoldenParityTests
{
    private static readonly string Data = RepoPaths.GoldenData;

    private sealed record Inputs(LlamaModel Model, JsonElement Json, SafeTensorsData Expected, int[][] Sequences);

    private static Inputs Load()
    {
        var model = LlamaModel.Load(Path.Combine(Data, "model"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "inputs.json")));
        var json = doc.RootElement.Clone();
        var expected = SafeTensorsFile.Read(Path.Combine(Data, "expected.safetensors"));
        var lengths = json.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var seqs = json.GetProperty("tokens").EnumerateArray()
            .Select((row, i) => row.EnumerateArray().Take(lengths[i]).Select(e => e.GetInt32()).ToArray()).ToArray();
        return new Inputs(model, json, expected, seqs);
    }

    private static List<PreferencePairTokens> Pairs(JsonElement json) =>
        json.GetProperty("pairs").EnumerateArray().Select(p => new PreferencePairTokens(
            p.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("chosen").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("rejected").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("ref_chosen").GetDouble(),
            p.GetProperty("ref_rejected").GetDouble())).ToList();

    [Fact]
    public void Logits_logprobs_and_entropies_match_torch()
    {
        var (model, _, expected, seqs) = Load();
        var cfg = model.Config;
        var session = new TrainingSession(model, seqs.Length, seqs.Sum(s => s.Length), cfg.MaxPositionEmbeddings);
        foreach (var s in seqs)
        {
            session.Batch.Add(s);
        }
        var v = cfg.VocabSize;
        var logits = new float[session.Batch.TokenCount * v];
        session.Forward(forBackward: false, entropies: true, logitsOut: logits);
        var expLogits = expected["logits"];
        var expLp = expected["token_logprobs"];
        var expEnt = expected["entropies"];
        var t = expLogits.Shape[1];
        var report = new StringBuilder();
        double worstLogit = 0, worstLp = 0, worstEnt = 0;
        var lp = new float[t];
        for (var b = 0; b < seqs.Length; b++)
        {
            var start = session.Batch.Starts[b];
            session.SequenceLogProbs(b, lp);
            for (var i = 0; i < seqs[b].Length; i++)
            {
                for (var j = 0; j < v; j++)
                {
                    worstLogit = Math.Max(worstLogit, Math.Abs(logits[((start + i) * v) + j] - expLogits.Data[(((b * t) + i) * v) + j]));
                }
                worstLp = Math.Max(worstLp, Math.Abs(lp[i] - expLp.Data[(b * t) + i]));
                worstEnt = Math.Max(worstEnt, Math.Abs(session.RowEntropies[start + i] - expEnt.Data[(b * t) + i]));
            }
        }
        report.Append($"logits {worstLogit:G3}, token_logprobs {worstLp:G3}, entropies {worstEnt:G3}");
        Assert.True(worstLogit < 1e-4 && worstLp < 1e-4 && worstEnt < 1e-4, "largest differences: " + report);
    }

    [Fact]
    public void Dpo_loss_gradients_and_adamw_step_match_torch()
    {
        var (model, json, expected, _) = Load();
        var cfg = model.Config;
        var pairs = Pairs(json);
        var session = new TrainingSession(model, 2 * pairs.Count, 64, cfg.MaxPositionEmbeddings);
        session.ZeroGradients();
        var options = new DpoOptions(json.GetProperty("beta").GetDouble(), json.GetProperty("label_smoothing").GetDouble());
        var result = DpoTrainer.ForwardBackward(session, pairs, options);
        using var scalars = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "expected.json")));
        var expLoss = scalars.RootElement.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(result.Loss - expLoss) < 1e-5, $"DPO loss {result.Loss} vs torch {expLoss}");

        var failures = new StringBuilder();
        var all = new StringBuilder();
        foreach (var spec in model.Layout.Specs)
        {
            Compare("grad." + spec.Name, session.Gradients[spec.Name], expected, failures, all, 1e-4);
        }
        var adam = new AdamW(model.Layout, new AdamWOptions(WeightDecay: json.GetProperty("weight_decay").GetDouble()));
        adam.Update(model.Weights.Data, session.Gradients.Data, json.GetProperty("lr").GetDouble());
        var lr = json.GetProperty("lr").GetDouble();
        foreach (var spec in model.Layout.Specs)
        {
            CompareStep(spec.Name, model.Weights[spec.Name], expected, failures, all, lr);
        }
        Assert.True(failures.Length == 0, "tensors out of tolerance:\n" + failures + "\nall tensors (largest abs difference):\n" + all);
    }

    /// <summary>
    /// The first AdamW step is lr·g/(|g|+ε)-like, so an element whose gradient is itself within the
    /// gradient tolerance δ of zero may move by up to lr·2δ/(|g|+δ); everything else must agree to float precision.
    /// </summary>
    private static void CompareStep(string name, ReadOnlySpan<float> actual, SafeTensorsData expected, StringBuilder failures, StringBuilder all, double lr)
    {
        var e = expected["after." + name].Data;
        var g = expected["grad." + name].Data;
        var gScale = g.Max(Math.Abs);
        var delta = 1e-4 * Math.Max(1, gScale);
        double worst = 0, worstRatio = 0;
        for (var i = 0; i < e.Length; i++)
        {
            var diff = Math.Abs(actual[i] - e[i]);
            var allowed = 2e-6 + (lr * 2 * delta / (Math.Abs(g[i]) + delta));
            worst = Math.Max(worst, diff);
            worstRatio = Math.Max(worstRatio, diff / allowed);
        }
        var line = $"  after.{name}: max |diff| {worst:G3} (worst diff/allowed {worstRatio:G3})";
        all.AppendLine(line);
        if (worstRatio > 1)
        {
            failures.AppendLine(line);
        }
    }

    private static void Compare(string name, ReadOnlySpan<float> actual, SafeTensorsData expected, StringBuilder failures, StringBuilder all, double rel)
    {
        var e = expected[name].Data;
        Assert.Equal(e.Length, actual.Length);
        double worst = 0, scale = 0;
        for (var i = 0; i < e.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - e[i]));
            scale = Math.Max(scale, Math.Abs(e[i]));
        }
        var line = $"  {name}: max |diff| {worst:G3} (max |value| {scale:G3})";
        all.AppendLine(line);
        if (worst > rel * Math.Max(1, scale))
        {
            failures.AppendLine(line);
        }
    }
}
