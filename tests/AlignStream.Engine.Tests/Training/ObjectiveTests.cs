using AlignStream.Engine.Model;
using AlignStream.Engine.Tests.Inference;
using AlignStream.Engine.Training;

namespace AlignStream.Engine.Tests.Training;

/// <summary>DPO loss worked example, AdamW against a hand computation, clipping and schedules.</summary>
public sealed class ObjectiveTests
{
    [Fact]
    public void Dpo_loss_matches_the_worked_example_of_algorithms_section_0_1()
    {
        var (loss, grad) = DpoLoss.Compute(-12, -13, -15, -14, beta: 0.1);
        Assert.Equal(0.598139, loss, 6);
        Assert.Equal(-0.045017, grad, 6);
        var (smoothed, _) = DpoLoss.Compute(-12, -13, -15, -14, beta: 0.1, labelSmoothing: 0.1);
        Assert.Equal(0.618139, smoothed, 6);
    }

    [Fact]
    public void Dpo_gradient_matches_finite_difference_of_the_margin()
    {
        foreach (var eps in new[] { 0.0, 0.2 })
        {
            var (_, g) = DpoLoss.Compute(-3, -2, -4, -6, 0.7, eps);
            var up = DpoLoss.Compute(-3 + 1e-6, -2, -4, -6, 0.7, eps).Loss;
            var down = DpoLoss.Compute(-3 - 1e-6, -2, -4, -6, 0.7, eps).Loss;
            Assert.Equal((up - down) / 2e-6, g, 6);
        }
    }

    [Fact]
    public void AdamW_matches_a_hand_computed_two_step_update()
    {
        var cfg = TinyModels.Config();
        var layout = new ParameterLayout(cfg);
        var p = new float[layout.TotalSize];
        var g = new float[layout.TotalSize];
        p[0] = 0.5f;
        g[0] = 0.2f;
        var opt = new AdamW(layout, new AdamWOptions(WeightDecay: 0.1));
        opt.Update(p, g, 0.01);
        // Step 1: p = 0.5(1−0.001) = 0.4995; m = 0.02, v = 4e-5; m̂ = 0.2, v̂ = 0.04 → p −= 0.01·0.2/(0.2+1e-8).
        var p1 = (0.5 * (1 - 0.001)) - (0.01 * 0.2 / (0.2 + 1e-8));
        Assert.Equal(p1, p[0], 6);
        g[0] = -0.1f;
        opt.Update(p, g, 0.01);
        double m = (0.9 * 0.02) + (0.1 * -0.1), v = (0.999 * 4e-5) + (0.001 * 0.01);
        var p2 = (p1 * (1 - 0.001)) - (0.01 / (1 - 0.81) * m / ((Math.Sqrt(v) / Math.Sqrt(1 - (0.999 * 0.999))) + 1e-8));
        Assert.Equal(p2, p[0], 6);
        Assert.Equal(0f, p[1]);
    }

    [Fact]
    public void Clipping_scales_to_the_max_norm_and_leaves_small_gradients_alone()
    {
        float[] g = [3, 4];
        var norm = GradientClipping.ClipGlobalNorm(g, 1.0);
        Assert.Equal(5, norm, 6);
        Assert.Equal(0.6f, g[0], 5);
        Assert.Equal(0.8f, g[1], 5);
        float[] small = [0.3f, 0.4f];
        GradientClipping.ClipGlobalNorm(small, 1.0);
        Assert.Equal([0.3f, 0.4f], small);
    }

    [Fact]
    public void Schedules_warm_up_then_decay()
    {
        var cos = new LearningRateSchedule(1.0, DecayKind.Cosine, WarmupSteps: 4, TotalSteps: 14, MinRatio: 0.1);
        cos.Validate();
        Assert.Equal(0.25, cos.At(0), 9);
        Assert.Equal(1.0, cos.At(3), 9);
        Assert.Equal(1.0, cos.At(4), 9);
        Assert.Equal(0.1 + (0.9 * 0.5), cos.At(9), 9);
        Assert.Equal(0.1, cos.At(14), 9);
        Assert.Equal(0.1, cos.At(100), 9);
        var lin = new LearningRateSchedule(2.0, DecayKind.Linear, 0, 10);
        Assert.Equal(1.0, lin.At(5), 9);
        Assert.Equal(2.0, new LearningRateSchedule(2.0).At(1000), 9);
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(1.0, DecayKind.Cosine, 5, 5).Validate());
        Assert.Contains("TotalSteps", bad.Message, StringComparison.Ordinal);
    }
}
