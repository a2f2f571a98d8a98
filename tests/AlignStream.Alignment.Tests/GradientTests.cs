using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Segments;
using AlignStream.Alignment.Selection;

namespace AlignStream.Alignment.Tests;

/// <summary>Backward passes of the engine-free training pieces against central finite differences.</summary>
public sealed class GradientTests
{
    [Fact]
    public void Arm_head_backward_matches_finite_differences()
    {
        const int d = 3, v = 4;
        var rng = new Random(21);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var head = new LowRankRewardHead(Rand(d * d), Rand(d), Rand(v * d), d);
        var hidden = Rand(d);
        const int token = 2;
        const double upstream = 1.7; // ∂L/∂r, e.g. from a squared error

        var dW = new float[d * d];
        var dw0 = new float[d];
        var dh = new float[d];
        head.Backward(hidden, token, upstream, dW, dw0, dh);

        double Loss()
        {
            var r = new float[1];
            head.Score(hidden, [token], r);
            return upstream * r[0];
        }

        double Numeric(float[] buffer, int i)
        {
            const float h = 1e-2f;
            var saved = buffer[i];
            buffer[i] = saved + h;
            var up = Loss();
            buffer[i] = saved - h;
            var down = Loss();
            buffer[i] = saved;
            return (up - down) / (2 * (double)h);
        }

        for (var i = 0; i < dW.Length; i++)
        {
            Assert.Equal(Numeric(head.Projection, i), dW[i], 1e-4);
        }
        for (var i = 0; i < d; i++)
        {
            Assert.Equal(Numeric(head.Baseline!, i), dw0[i], 1e-4);
            Assert.Equal(Numeric(hidden, i), dh[i], 1e-4);
        }
    }

    [Fact]
    public void Distillation_loss_gradients_match_finite_differences()
    {
        double[] s = [0.2, 0.5, 0.8, -0.1];
        double[] teacher = [0.1, 0.4, 0.9, 0.3];
        var g = new double[4];
        Assert.Equal(RewardDistillationLosses.CumulativeMse(s, 1.0), RewardDistillationLosses.CumulativeMseBackward(s, 1.0, g), 1e-15);
        for (var t = 0; t < s.Length; t++)
        {
            var numeric = TestSupport.CentralDifference(x => { var c = (double[])s.Clone(); c[t] = x; return RewardDistillationLosses.CumulativeMse(c, 1.0); }, s[t]);
            Assert.Equal(numeric, g[t], 1e-8);
        }
        RewardDistillationLosses.DistillationMseBackward(s, teacher, g);
        for (var t = 0; t < s.Length; t++)
        {
            var numeric = TestSupport.CentralDifference(x => { var c = (double[])s.Clone(); c[t] = x; return RewardDistillationLosses.DistillationMse(c, teacher); }, s[t]);
            Assert.Equal(numeric, g[t], 1e-8);
        }
        Assert.Equal((0.04 + 0.25 + 0.64 + 0.01) / 4, RewardDistillationLosses.BaselinePriorBackward(s, g), 1e-12);
    }

    [Fact]
    public void Segment_bradley_terry_matches_section_5_2_and_its_gradient()
    {
        double[] chosen = [0.9, -0.3, 1.2];
        double[] rejected = [0.1];
        var gw = new double[3];
        var gl = new double[1];
        Assert.Equal(0.474077, SegmentPreferenceLoss.Compute(chosen, rejected, gw, gl), TestSupport.VectorTolerance);
        for (var i = 0; i < chosen.Length; i++)
        {
            var numeric = TestSupport.CentralDifference(x => { var c = (double[])chosen.Clone(); c[i] = x; return SegmentPreferenceLoss.Compute(c, rejected, new double[3], new double[1]); }, chosen[i]);
            Assert.Equal(numeric, gw[i], 1e-8);
        }
        var numericRejected = TestSupport.CentralDifference(x => SegmentPreferenceLoss.Compute(chosen, [x], new double[3], new double[1]), rejected[0]);
        Assert.Equal(numericRejected, gl[0], 1e-8);
    }

    [Fact]
    public void Standardised_rewards_make_rbon_independent_of_the_reward_scale()
    {
        double[][] sim = [[1, .6, .7, .8], [.6, 1, .3, .5], [.7, .3, 1, .6], [.8, .5, .6, 1]];
        double[] r = [0.80, 0.95, 0.60, 0.90];
        var scaledUp = r.Select(x => x * 1000).ToArray();
        IPairSelector Make(bool standardize) => PairSelectorFactory.Create(new SelectorOptions { Selector = "rbon-wd", Beta = 0.5, StandardizeRewards = standardize });

        var a = Make(true).Select(new SelectionInput(r, null, sim)).Pairs[0];
        var b = Make(true).Select(new SelectionInput(scaledUp, null, sim)).Pairs[0];
        Assert.Equal((a.Chosen, a.Rejected), (b.Chosen, b.Rejected));
        Assert.Equal(a.Margin * 1000, b.Margin, 1e-9);
        // Without standardising, the large scale drowns the proximity term (plain best/worst wins).
        Assert.Equal(1, Make(false).Select(new SelectionInput(scaledUp, null, sim)).Pairs[0].Chosen);
        Assert.Equal(3, Make(false).Select(new SelectionInput(r, null, sim)).Pairs[0].Chosen);
    }
}
