using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Tests;

public sealed class LossTests
{
    private const double Tol = TestSupport.VectorTolerance;

    [Fact]
    public void Dpo_matches_appendix_A1()
    {
        var dpo = new DpoLoss(new DpoOptions { Beta = 0.1 });
        var r = dpo.Compute(-12, -13, -15, -14);
        Assert.Equal(2.0, r.Margin, Tol);
        Assert.Equal(0.598139, r.Loss, Tol);
        Assert.Equal(-0.045017, r.DLossDMargin, Tol);
        Assert.Equal(0.1, r.ChosenReward, Tol);
        Assert.Equal(-0.1, r.RejectedReward, Tol);
        Assert.Equal(1.0, r.RewardAccuracy);

        var smoothed = new DpoLoss(new DpoOptions { Beta = 0.1, LabelSmoothing = 0.1 }).Compute(-12, -13, -15, -14);
        Assert.Equal(0.618139, smoothed.Loss, Tol);
    }

    [Fact]
    public void Dpo_is_log2_when_policy_equals_reference_A2()
    {
        var r = new DpoLoss(new DpoOptions()).Compute(-7.5, -7.5, -3.25, -3.25);
        Assert.Equal(0.0, r.Margin);
        Assert.Equal(Math.Log(2), r.Loss, 1e-12);
    }

    [Theory]
    [InlineData(0.0, 2.0)]
    [InlineData(0.1, 2.0)]
    [InlineData(0.25, -37.0)]
    [InlineData(0.1, 400.0)]
    public void Dpo_margin_gradient_matches_finite_differences(double eps, double h)
    {
        var dpo = new DpoLoss(new DpoOptions { Beta = 0.1, LabelSmoothing = eps });
        var analytic = dpo.FromLogRatios(h, 0).DLossDMargin;
        var numeric = TestSupport.CentralDifference(x => dpo.FromLogRatios(x, 0).Loss, h);
        Assert.Equal(numeric, analytic, 1e-8);
    }

    [Fact]
    public void Dpo_options_name_the_bad_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DpoLoss(new DpoOptions { Beta = 0 }));
        Assert.Contains("Dpo.Beta", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new DpoLoss(new DpoOptions { LabelSmoothing = 0.5 }));
        Assert.Contains("Dpo.LabelSmoothing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Masked_dpo_matches_appendix_A11()
    {
        // Per-token log-ratios of §5.2 written as policy − reference with a zero reference.
        double[] dw = [0.10, 0.05, -0.20, 0.02, 0.15, 0.10];
        double[] dl = [-0.10, 0.30, -0.20, 0.05];
        double[] mw = [1, 1, 0, 0, 1, 1];
        double[] ml = [1, 0, 1, 0];
        var loss = new TokenWeightedDpoLoss(new DpoOptions { Beta = 0.1 });
        var full = loss.Compute(dw, new double[6], [], dl, new double[4], []);
        Assert.Equal(0.17, full.Dpo.Margin, Tol);
        Assert.Equal(0.684683, full.Loss, Tol);
        var masked = loss.Compute(dw, new double[6], mw, dl, new double[4], ml);
        Assert.Equal(0.70, masked.Dpo.Margin, Tol);
        Assert.Equal(0.658760, masked.Loss, Tol);
        Assert.Equal(0.0, masked.ChosenTokenGradients[2]);
        Assert.Equal(0.0, masked.RejectedTokenGradients[1]);
    }

    [Fact]
    public void Weighted_dpo_token_gradients_match_finite_differences()
    {
        var rng = new Random(7);
        double[] pw = Enumerable.Range(0, 9).Select(_ => -rng.NextDouble() * 3).ToArray();
        double[] rw = Enumerable.Range(0, 9).Select(_ => -rng.NextDouble() * 3).ToArray();
        double[] ww = Enumerable.Range(0, 9).Select(_ => rng.NextDouble() * 2).ToArray();
        double[] pl = Enumerable.Range(0, 5).Select(_ => -rng.NextDouble() * 3).ToArray();
        double[] rl = Enumerable.Range(0, 5).Select(_ => -rng.NextDouble() * 3).ToArray();
        double[] wl = Enumerable.Range(0, 5).Select(_ => rng.NextDouble() * 2).ToArray();
        var loss = new TokenWeightedDpoLoss(new DpoOptions { Beta = 0.3, LabelSmoothing = 0.05 });
        var r = loss.Compute(pw, rw, ww, pl, rl, wl);
        for (var t = 0; t < pw.Length; t++)
        {
            var numeric = TestSupport.CentralDifference(x => { var p = (double[])pw.Clone(); p[t] = x; return loss.Compute(p, rw, ww, pl, rl, wl).Loss; }, pw[t]);
            Assert.Equal(numeric, r.ChosenTokenGradients[t], 1e-8);
        }
        for (var t = 0; t < pl.Length; t++)
        {
            var numeric = TestSupport.CentralDifference(x => { var p = (double[])pl.Clone(); p[t] = x; return loss.Compute(pw, rw, ww, p, rl, wl).Loss; }, pl[t]);
            Assert.Equal(numeric, r.RejectedTokenGradients[t], 1e-8);
        }
    }

    [Fact]
    public void Dpo_plus_nll_adds_mean_chosen_nll_and_its_gradient()
    {
        double[] pw = [-0.5, -1.5, -1.0];
        double[] rw = [-0.7, -1.2, -1.1];
        double[] pl = [-2.0, -0.25];
        double[] rl = [-1.0, -0.5];
        var loss = new DpoNllLoss(new DpoOptions { Beta = 0.1 }, nllWeight: 1.0);
        var r = loss.Compute(pw, rw, pl, rl);
        // h = (−3 + 3) − (−2.25 + 1.5) = 0.75; L = softplus(−0.075) + mean NLL 1.0.
        var expected = Math.Log(1 + Math.Exp(-0.075)) + 1.0;
        Assert.Equal(expected, r.Loss, 1e-12);
        for (var t = 0; t < pw.Length; t++)
        {
            var numeric = TestSupport.CentralDifference(x => { var p = (double[])pw.Clone(); p[t] = x; return loss.Compute(p, rw, pl, rl).Loss; }, pw[t]);
            Assert.Equal(numeric, r.ChosenTokenGradients[t], 1e-8);
        }
    }

    [Fact]
    public void Token_dpo_rejects_mismatched_lengths_and_negative_weights()
    {
        var loss = new TokenWeightedDpoLoss(new DpoOptions());
        Assert.Throws<ArgumentException>(() => loss.Compute([1, 2], [1], [], [1], [1], []));
        Assert.Throws<ArgumentException>(() => loss.Compute([1], [1], [-1], [1], [1], []));
        Assert.Throws<ArgumentException>(() => loss.Compute([double.NaN], [1], [], [1], [1], []));
    }
}
