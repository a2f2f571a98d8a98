using AlignStream.Alignment.Losses;
using AlignStream.Alignment.Models;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;
using DpoLoss = AlignStream.Alignment.Losses.DpoLoss;
using DpoOptions = AlignStream.Alignment.Losses.DpoOptions;

namespace AlignStream.Alignment.Tests.Models;

public sealed class EnginePreferenceObjectiveTests
{
    private static readonly ByteTokenizer Tok = ByteTokenizer.Instance;

    private static double[] Reference(int length, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => -5.5 + rng.NextDouble())];
    }

    private static EnginePreferencePair Pair(SpoOptions spo, string prompt, string chosen, string rejected, int seed)
    {
        var corruptor = new SpoCorruptor(spo, Tok.Encode);
        var variants = new List<EngineSpoVariant>();
        foreach (var (text, fromChosen) in new[] { (chosen, true), (rejected, false) })
        {
            foreach (var v in corruptor.Corrupt(prompt, text))
            {
                variants.Add(new EngineSpoVariant(fromChosen, v.Degree, v.Degree == 0 ? null : v.TokenIds));
            }
        }
        int[] p = [ByteTokenizer.BosIdConstant, .. Tok.Encode(prompt)];
        var w = Tok.Encode(chosen);
        var l = Tok.Encode(rejected);
        return new EnginePreferencePair(p, w, l, Reference(w.Length, seed), Reference(l.Length, seed + 1)) { Variants = variants };
    }

    private static (LlamaModel Model, TrainingSession Session) Policy()
    {
        var model = TinyEngine.Create(31, hidden: 16, layers: 2, std: 0.3f);
        return (model, new TrainingSession(model, 16, 1024, 96));
    }

    [Fact]
    public void Dpo_plus_spo_gradient_matches_central_differences_in_backbone_and_head()
    {
        var (model, session) = Policy();
        var spo = new SpoOptions { Classes = 3, Lambda = 0.5 };
        var head = new SpoDegreeHead(spo.HeadClasses, 16, seed: 3, initStd: 0.5);
        var pairs = new[]
        {
            Pair(spo, "What is the capital of France?", "Paris is the capital. It has the Louvre. Thanks!", "I do not know. Maybe Rome. Bye.", 1),
        };
        Assert.Equal(6, pairs[0].Variants.Count);
        var objective = new EnginePreferenceObjective(new DpoOptions { Beta = 0.5 }, spo, head);
        var r = objective.Evaluate(session, pairs, backward: true);
        Assert.True(r.AuxiliaryLoss > 0 && r.PreferenceLoss > 0);
        Assert.Equal(r.PreferenceLoss + (0.5 * r.AuxiliaryLoss), r.Loss, 12);
        var g = session.Gradients.Data.ToArray();
        var headGrad = head.WeightGrad.ToArray();
        var biasGrad = head.BiasGrad.ToArray();

        // Where the SPO term moves the gradient most: proves dFinalHidden reaches the backbone.
        var dpoOnly = new EnginePreferenceObjective(new DpoOptions { Beta = 0.5 });
        dpoOnly.Evaluate(session, pairs, backward: true);
        var diff = g.Select((x, i) => x - session.Gradients.Data[i]).ToArray();
        Assert.True(diff.Max(Math.Abs) > 1e-4, "the SPO term left the backbone gradient unchanged");

        double Loss() => objective.Evaluate(session, pairs, backward: false).Loss;
        Assert.Equal(r.Loss, Loss(), 9);
        foreach (var i in TinyEngine.LargestEntries(diff, 8).Concat(TinyEngine.LargestEntries(g, 8)).Distinct())
        {
            TinyEngine.AssertClose(g[i], TinyEngine.CentralDifference(model.Weights.Data, i, 1e-2, Loss), $"backbone parameter {i}");
        }
        foreach (var j in TinyEngine.LargestEntries(headGrad, 5))
        {
            TinyEngine.AssertClose(headGrad[j], TinyEngine.CentralDifference(head.Weight, j, 1e-2, Loss), $"degree head W[{j}]");
        }
        for (var k = 0; k < biasGrad.Length; k++)
        {
            TinyEngine.AssertClose(biasGrad[k], TinyEngine.CentralDifference(head.Bias, k, 1e-2, Loss), $"degree head b[{k}]");
        }
    }

    [Fact]
    public void Masked_and_weighted_dpo_gradient_matches_central_differences()
    {
        var (model, session) = Policy();
        var spo = new SpoOptions();
        var a = Pair(spo, "Hi", "sure thing", "nope", 5) with { Variants = [] };
        var b = Pair(spo, "Q", "yes ok", "no way!", 7) with { Variants = [] };
        var pairs = new[]
        {
            a with { ChosenWeights = [1, 1, 0, 0, 1, 1, 1, 0, 1, 1], RejectedWeights = [0, 1, 1, 0] },
            b with { ChosenWeights = [.. Enumerable.Range(0, 6).Select(t => 0.25 * t)], RejectedWeights = [2, 0.5, 1, 1, 0, 1, 1] },
        };
        var objective = new EnginePreferenceObjective(new DpoOptions { Beta = 0.3 });
        var r = objective.Evaluate(session, pairs, backward: true);
        var g = session.Gradients.Data.ToArray();
        double Loss() => objective.Evaluate(session, pairs, backward: false).Loss;
        foreach (var i in TinyEngine.LargestEntries(g, 16))
        {
            TinyEngine.AssertClose(g[i], TinyEngine.CentralDifference(model.Weights.Data, i, 1e-2, Loss), $"backbone parameter {i}");
        }
        // The masked margin is the weighted log-ratio of an independent forward.
        var check = new TrainingSession(model, 1, 64, 64);
        check.Batch.Add(pairs[0].Prompt, pairs[0].Chosen);
        check.Forward(forBackward: false);
        var logp = new float[check.Batch.Lengths[0]];
        check.SequenceLogProbs(0, logp);
        var dw = Enumerable.Range(0, pairs[0].Chosen.Length).Sum(t => pairs[0].ChosenWeights![t] * (logp[pairs[0].Prompt.Length + t] - pairs[0].ReferenceChosen[t]));
        Assert.Equal(0.3 * dw, r.Pairs[0].ChosenReward, 4);
    }

    [Fact]
    public void Unweighted_engine_dpo_equals_the_sequence_level_loss()
    {
        var (model, session) = Policy();
        var p = Pair(new SpoOptions(), "Hello", "good answer", "bad", 9) with { Variants = [] };
        var r = new EnginePreferenceObjective(new DpoOptions()).Evaluate(session, [p], backward: false);
        var check = new TrainingSession(model, 2, 64, 64);
        check.Batch.Add(p.Prompt, p.Chosen);
        check.Batch.Add(p.Prompt, p.Rejected);
        check.Forward(forBackward: false);
        var expected = new DpoLoss(new DpoOptions()).Compute(
            check.ResponseLogProbSum(0, p.Prompt.Length), p.ReferenceChosen.Sum(),
            check.ResponseLogProbSum(1, p.Prompt.Length), p.ReferenceRejected.Sum());
        Assert.Equal(expected.Loss, r.Loss, 6);
        Assert.Equal(expected.Margin, r.Pairs[0].Margin, 4);
    }
}
