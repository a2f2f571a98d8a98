using System.Text.Json;
using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Tests;

/// <summary>
/// Compares against PyTorch autograd values written by Golden/make_golden.py (float64, seeded) into
/// Golden/torch_golden.json, an independent check beside the finite-difference tests.
/// </summary>
public sealed class TorchGoldenTests
{
    private static readonly Lazy<JsonElement> Golden = new(() =>
    {
        var path = Path.Combine(TestSupport.RepoRoot(), "tests", "AlignStream.Alignment.Tests", "Golden", "torch_golden.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    });

    private static double[] D(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static float[] F(JsonElement e, string name) => D(e, name).Select(x => (float)x).ToArray();

    [Fact]
    public void Weighted_dpo_matches_torch_autograd()
    {
        var g = Golden.Value.GetProperty("weighted_dpo");
        var loss = new TokenWeightedDpoLoss(new DpoOptions { Beta = g.GetProperty("beta").GetDouble(), LabelSmoothing = g.GetProperty("eps").GetDouble() });
        var r = loss.Compute(D(g, "pw"), D(g, "rw"), D(g, "ww"), D(g, "pl"), D(g, "rl"), D(g, "wl"));
        Assert.Equal(g.GetProperty("h").GetDouble(), r.Dpo.Margin, 1e-12);
        Assert.Equal(g.GetProperty("loss").GetDouble(), r.Loss, 1e-12);
        Assert.Equal(D(g, "grad_pw"), r.ChosenTokenGradients, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(D(g, "grad_pl"), r.RejectedTokenGradients, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Spo_head_matches_torch_autograd()
    {
        var g = Golden.Value.GetProperty("spo_head");
        int k = g.GetProperty("k").GetInt32(), d = g.GetProperty("d").GetInt32();
        var lambda = g.GetProperty("lam").GetDouble();
        var head = new SpoDegreeHead(k, d, seed: 0);
        F(g, "W").CopyTo(head.Weight, 0);
        F(g, "b").CopyTo(head.Bias, 0);
        var hidden = g.GetProperty("H").EnumerateArray().Select(row => row.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray()).ToArray();
        var labels = g.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var dHidden = hidden.Select(_ => new float[d]).ToArray();
        var ce = new SpoObjective(new SpoOptions { Classes = k, Lambda = lambda }).AuxiliaryLoss(head, hidden, labels, dHidden);
        Assert.Equal(g.GetProperty("ce").GetDouble(), ce, 1e-9);
        Assert.Equal(D(g, "grad_W"), head.WeightGrad.Select(x => (double)x), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(D(g, "grad_b"), head.BiasGrad.Select(x => (double)x), (a, b) => Math.Abs(a - b) < 1e-6);
        var expectedH = g.GetProperty("grad_H").EnumerateArray().Select(row => row.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        for (var i = 0; i < hidden.Length; i++)
        {
            Assert.Equal(expectedH[i], dHidden[i].Select(x => (double)x), (a, b) => Math.Abs(a - b) < 1e-6);
        }
    }

    [Fact]
    public void Rad_distribution_matches_torch()
    {
        var g = Golden.Value.GetProperty("rad");
        var logits = F(g, "logits");
        var rewards = F(g, "rewards");
        var processor = new RewardAugmentedLogitsProcessor(new RadOptions { TopK = g.GetProperty("k").GetInt32(), Beta = g.GetProperty("beta").GetDouble() });
        processor.Process(logits, (candidates, r) =>
        {
            for (var i = 0; i < candidates.Length; i++)
            {
                r[i] = rewards[candidates[i]];
            }
        });
        var p = new double[logits.Length];
        Numerics.Softmax(logits.Select(x => (double)x).ToArray(), p);
        Assert.Equal(D(g, "probs"), p, (a, b) => Math.Abs(a - b) < 1e-6);
    }
}
