using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;
using AlignStream.Trainer.Options;
using AlignStream.Trainer.Tests.Support;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Training;

public sealed class PolicyTrainerTests
{
    private static TrainerOptions Options(Action<TrainerOptions>? configure = null)
    {
        var o = new TrainerOptions { BatchSize = 4, LearningRate = 1e-2, CheckpointDirectory = "unused", ClipNorm = 0 };
        configure?.Invoke(o);
        return o;
    }

    private static PolicyTrainer Trainer(TrainerOptions options) => new(ToyModel.Create(), ByteTokenizer.Instance, options);

    [Fact]
    public void Before_any_update_h_is_zero_and_the_loss_is_log_2()
    {
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 4));
        var r = Trainer(Options()).TrainStep(pairs);
        // Appendix A2; reference sums travel as float, hence the tolerance.
        Assert.Equal(Math.Log(2), r.DpoLoss, 1e-4);
        Assert.All(r.Margins, m => Assert.Equal(0, m, 1e-4));
        Assert.Equal(0, r.KlToReference, 1e-3);
        Assert.Equal(1, r.Step);
    }

    [Fact]
    public void Per_pair_losses_are_DPO_of_independently_computed_sums()
    {
        const double beta = 0.1, eps = 0.1;
        var raw = ToyModel.Pairs(ToyModel.Create(), 3);
        // Shift the reference sums so h = (π_w − ref_w) − (π_l − ref_l) = 1 + 2 = 3 for every pair.
        foreach (var p in raw)
        {
            p.ChosenReferenceLogprobSum -= 1f;
            p.RejectedReferenceLogprobSum += 2f;
        }
        var r = Trainer(Options(o => { o.Beta = beta; o.LabelSmoothing = eps; o.NllWeight = 0.5; })).TrainStep(ToyModel.Decode(raw));
        static double Softplus(double u) => Math.Log(1 + Math.Exp(u));
        var expectedDpo = ((1 - eps) * Softplus(-beta * 3)) + (eps * Softplus(beta * 3));
        // NLL of the chosen response under the untrained model, from a separate forward pass.
        var model = ToyModel.Create();
        var session = new TrainingSession(model, 1, 128, 128);
        var nlls = raw.Select(p =>
        {
            session.Batch.Clear();
            session.Batch.Add(p.PromptTokens.ToArray(), p.ChosenTokens.ToArray());
            session.Forward(false);
            return -session.ResponseLogProbSum(0, p.PromptTokens.Count) / p.ChosenTokens.Count;
        }).ToArray();
        for (var i = 0; i < raw.Count; i++)
        {
            Assert.Equal(beta * 3, r.Margins[i], 1e-4);
            Assert.Equal(expectedDpo + (0.5 * nlls[i]), r.PairLosses[i], 1e-4);
        }
        Assert.Equal(expectedDpo, r.DpoLoss, 1e-4);
        Assert.Equal(nlls.Average(), r.NllLoss, 1e-4);
        Assert.Equal(r.DpoLoss + (0.5 * r.NllLoss), r.Loss, 1e-12);
        Assert.Equal(1.0, r.RewardAccuracy);
    }

    [Fact]
    public void Loss_decreases_on_a_fixed_toy_preference_set()
    {
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 4));
        var trainer = Trainer(Options(o => o.ClipNorm = 1.0));
        var losses = Enumerable.Range(0, 30).Select(_ => trainer.TrainStep(pairs)).ToList();
        Assert.Equal(Math.Log(2), losses[0].DpoLoss, 1e-4);
        Assert.True(losses[^1].DpoLoss < 0.3, $"DPO loss after 30 steps is {losses[^1].DpoLoss:F4}; expected well below log 2");
        Assert.Equal(1.0, losses[^1].RewardAccuracy);
        Assert.True(losses[^1].Margins.All(m => m > 0));
        Assert.Equal(30, trainer.Step);
        Assert.Equal(30, trainer.Optimizer.Step);
    }

    [Fact]
    public void An_importance_weight_scales_loss_and_gradient_exactly()
    {
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 2));
        var shifted = pairs.Select(p => p with { ReferenceChosen = p.ReferenceChosen - 1 }).ToList();
        var full = Trainer(Options()).TrainStep(shifted);
        var half = Trainer(Options()).TrainStep(shifted.Select(p => p with { Weight = 0.5 }).ToList());
        Assert.Equal(0.5 * full.DpoLoss, half.DpoLoss, 1e-9);
        Assert.Equal(0.5 * full.GradientNorm, half.GradientNorm, 1e-6 * full.GradientNorm);
    }

    [Fact]
    public void Unit_token_weights_reproduce_the_unweighted_step()
    {
        var raw = ToyModel.Pairs(ToyModel.Create(), 2);
        var weighted = raw.Select(p =>
        {
            var c = p.Clone();
            c.ChosenTokenWeights.AddRange(Enumerable.Repeat(1f, c.ChosenTokens.Count));
            c.RejectedTokenWeights.AddRange(Enumerable.Repeat(1f, c.RejectedTokens.Count));
            return c;
        }).ToList();
        var plain = Trainer(Options()).TrainStep(ToyModel.Decode(raw));
        var ones = Trainer(Options()).TrainStep(ToyModel.Decode(weighted));
        Assert.Equal(plain.DpoLoss, ones.DpoLoss, 1e-4);
        Assert.Equal(plain.GradientNorm, ones.GradientNorm, 1e-3 * plain.GradientNorm);
    }

    [Fact]
    public void Zero_token_weights_on_the_rejected_side_remove_it_from_h()
    {
        // With w_l = 0 the rejected response drops out: h = Δ_w only, and the trainer's reference (a copy of the
        // untrained policy) gives Δ_w = 0 before the update, so the loss is log 2 whatever the scorer's sums say.
        var raw = ToyModel.Pairs(ToyModel.Create(), 2).Select(p =>
        {
            var c = p.Clone();
            c.ChosenReferenceLogprobSum -= 5f;
            c.ChosenTokenWeights.AddRange(Enumerable.Repeat(1f, c.ChosenTokens.Count));
            c.RejectedTokenWeights.AddRange(Enumerable.Repeat(0f, c.RejectedTokens.Count));
            return c;
        }).ToList();
        var r = Trainer(Options()).TrainStep(ToyModel.Decode(raw));
        Assert.Equal(Math.Log(2), r.DpoLoss, 1e-5);
    }

    [Fact]
    public void Spo_adds_lambda_times_the_degree_loss_and_reaches_the_policy()
    {
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 2));
        var without = Trainer(Options()).TrainStep(pairs);
        var trainer = Trainer(Options(o => { o.SpoLambda = 0.1; o.SpoClasses = 3; o.SpoSubsampleOneDegree = false; }));
        var with = trainer.TrainStep(pairs);
        // A small random head is close to uniform over K = 3 classes.
        Assert.Equal(Math.Log(3), with.SpoLoss, 0.1);
        Assert.Equal(with.DpoLoss + (0.1 * with.SpoLoss), with.Loss, 1e-12);
        Assert.Equal(without.DpoLoss, with.DpoLoss, 1e-6);
        Assert.NotEqual(without.GradientNorm, with.GradientNorm);
        Assert.Equal(1, trainer.HeadWeightOptimizer!.Step);
    }

    [Fact]
    public void Per_window_and_soft_sync_move_the_reference()
    {
        var trainer = Trainer(Options());
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 2));
        var before = (float[])trainer.Reference.Weights.Data.Clone();
        trainer.TrainStep(pairs);
        Assert.Equal(before, trainer.Reference.Weights.Data);
        var policy = trainer.Policy.Weights.Data;
        trainer.SoftSyncReference(0.6);
        for (var i = 0; i < policy.Length; i += 97)
        {
            Assert.Equal((0.6f * policy[i]) + (0.4f * before[i]), trainer.Reference.Weights.Data[i], 1e-6f);
        }
        trainer.CopyPolicyToReference();
        Assert.Equal(policy, trainer.Reference.Weights.Data);
    }
}
