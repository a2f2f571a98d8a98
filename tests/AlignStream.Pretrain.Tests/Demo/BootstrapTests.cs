using AlignStream.Cli.Demo;

namespace AlignStream.Pretrain.Tests.Demo;

/// <summary>The paired bootstrap interval of the final-minus-base difference.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public void A_constant_shift_gives_a_point_interval_at_the_shift()
    {
        var before = Enumerable.Range(0, 50).Select(i => i * 0.01).ToArray();
        var after = before.Select(v => v + 0.25).ToArray();
        var (lo, hi) = Bootstrap.MeanDifferenceCi95(before, after, 1000, 1);
        Assert.Equal(0.25, lo, 9);
        Assert.Equal(0.25, hi, 9);
    }

    [Fact]
    public void The_interval_brackets_the_mean_difference_and_narrows_with_more_prompts()
    {
        var rng = new Random(3);
        double[] Noise(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var small = Noise(20);
        var (lo, hi) = Bootstrap.MeanDifferenceCi95(new double[20], small, 2000, 5);
        Assert.InRange(small.Average(), lo, hi);
        var large = Noise(2000);
        var (lo2, hi2) = Bootstrap.MeanDifferenceCi95(new double[2000], large, 2000, 5);
        Assert.InRange(large.Average(), lo2, hi2);
        Assert.True(hi2 - lo2 < (hi - lo) / 4, $"2000 prompts gave width {hi2 - lo2}, 20 prompts {hi - lo}");
        // Uniform(-0.5, 0.5) has σ = 0.2887; the 95% half-width at n = 2000 is about 1.96·σ/√n = 0.0127.
        Assert.InRange((hi2 - lo2) / 2, 0.010, 0.016);
    }

    [Fact]
    public void Same_seed_same_interval_and_bad_input_is_refused()
    {
        var a = new[] { 0.0, 1, 0, 1, 1 };
        var b = new[] { 1.0, 1, 0, 1, 0 };
        Assert.Equal(Bootstrap.MeanDifferenceCi95(a, b, 500, 9), Bootstrap.MeanDifferenceCi95(a, b, 500, 9));
        Assert.Throws<ArgumentException>(() => Bootstrap.MeanDifferenceCi95(a, b.Take(4).ToArray(), 500, 9));
        Assert.Throws<ArgumentException>(() => Bootstrap.MeanDifferenceCi95([1.0], [2.0], 500, 9));
    }
}
