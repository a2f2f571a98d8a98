using AlignStream.Alignment.Selection;
using FsCheck;
using FsCheck.Fluent;

namespace AlignStream.Alignment.Tests;

public sealed class SelectorTests
{
    // ALGORITHMS.md §1.5.
    private static readonly double[] R = [0.80, 0.95, 0.60, 0.90];
    private static readonly double[] LogRef = [-20, -45, -18, -32];
    private static readonly double[][] S =
    [
        [1, .6, .7, .8],
        [.6, 1, .3, .5],
        [.7, .3, 1, .6],
        [.8, .5, .6, 1],
    ];

    private static SelectionInput Example => new(R, LogRef, S);

    private static IPairSelector Make(string name, double beta = 0, RejectedRule rejected = RejectedRule.Regularized, int seed = 0, bool excludeSelf = false, int nextK = 10) =>
        PairSelectorFactory.Create(new SelectorOptions { Selector = name, Beta = beta, Rejected = rejected, Seed = seed, ExcludeSelfSimilarity = excludeSelf, NextK = nextK });

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.1, 1)]
    [InlineData(0.5, 3)]
    [InlineData(1.0, 3)]
    public void Rbon_wd_chosen_matches_appendix_A3(double beta, int expected) =>
        Assert.Equal(expected, Make("rbon-wd", beta).Select(Example).Pairs[0].Chosen);

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.001, 1)]
    [InlineData(0.01, 0)]
    public void Rbon_kl_chosen_matches_appendix_A4(double beta, int expected) =>
        Assert.Equal(expected, Make("rbon-kl", beta).Select(Example).Pairs[0].Chosen);

    [Fact]
    public void Regularized_pair_matches_appendix_A5()
    {
        var pair = Make("rbon-wd", 0.5).Select(Example).Pairs.Single();
        Assert.Equal(3, pair.Chosen);
        Assert.Equal(2, pair.Rejected);
        Assert.Equal(0.30, pair.Margin, TestSupport.VectorTolerance);
        // Excluding self-similarity still picks 3 (§1.5).
        Assert.Equal(3, Make("rbon-wd", 0.5, excludeSelf: true).Select(Example).Pairs[0].Chosen);
    }

    [Fact]
    public void Max_min_and_next_k_follow_the_reward_ranking()
    {
        var mm = Make("max-min").Select(Example).Pairs.Single();
        Assert.Equal((1, 2), (mm.Chosen, mm.Rejected));
        Assert.Equal(0.35, mm.Margin, 1e-12);

        var nk = Make("next-k", nextK: 2).Select(Example).Pairs;
        Assert.Equal([(1, 3), (1, 0)], nk.Select(p => (p.Chosen, p.Rejected)));
        Assert.Equal(3, Make("next-k").Select(Example).Pairs.Count);
    }

    [Fact]
    public void Random_rejected_is_seeded_and_never_the_chosen()
    {
        var a = Make("bon", rejected: RejectedRule.Random, seed: 5);
        var b = Make("bon", rejected: RejectedRule.Random, seed: 5);
        var input = new SelectionInput([0.9, 0.1, 0.2, 0.3, 0.4]);
        for (var i = 0; i < 50; i++)
        {
            var x = a.Select(input).Pairs[0];
            var y = b.Select(input).Pairs[0];
            Assert.Equal(x, y);
            Assert.Equal(0, x.Chosen);
            Assert.NotEqual(0, x.Rejected);
        }
    }

    [Fact]
    public void Ties_and_small_groups_are_skipped_with_reasons()
    {
        Assert.Equal("no candidates", Make("max-min").Select(new SelectionInput([])).SkipReason);
        Assert.Equal("only one candidate", Make("rbon-wd", 0.5).Select(new SelectionInput([1.0], null, [[1.0]])).SkipReason);
        var tie = Make("max-min").Select(new SelectionInput([0.5, 0.5, 0.5]));
        Assert.True(tie.IsSkipped);
        Assert.Contains("margin", tie.SkipReason, StringComparison.Ordinal);
        var high = PairSelectorFactory.Create(new SelectorOptions { Selector = "max-min", MinMargin = 0.5 }).Select(Example);
        Assert.True(high.IsSkipped);
    }

    [Fact]
    public void Missing_inputs_and_non_finite_values_name_the_problem()
    {
        Assert.Contains("ref_logprobs", Assert.Throws<ArgumentException>(() => Make("rbon-kl", 0.1).Select(new SelectionInput(R))).Message, StringComparison.Ordinal);
        Assert.Contains("similarity", Assert.Throws<ArgumentException>(() => Make("rbon-wd", 0.1).Select(new SelectionInput(R))).Message, StringComparison.Ordinal);
        Assert.Contains("candidate 2", Assert.Throws<ArgumentException>(() => Make("rbon-kl", 0.1).Select(new SelectionInput(R, [-1, -2, double.NaN, -3]))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PairSelectorFactory.Create(new SelectorOptions { Selector = "best" }));
    }

    [Fact]
    public void Property_nan_or_infinite_reward_is_rejected_naming_the_candidate()
    {
        var gen =
            from n in Gen.Choose(1, 12)
            from bad in Gen.Choose(0, n - 1)
            from kind in Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity)
            from name in Gen.Elements("bon", "max-min", "next-k", "rbon-kl", "rbon-wd")
            select (n, bad, kind, name);
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rewards = Enumerable.Repeat(0.5, t.n).ToArray();
            rewards[t.bad] = t.kind;
            var sim = Enumerable.Range(0, t.n).Select(_ => Enumerable.Repeat(1.0, t.n).ToArray()).ToArray();
            var e = Assert.Throws<ArgumentException>(() => Make(t.name, 0.1).Select(new SelectionInput(rewards, new double[t.n], sim)));
            return e.Message.Contains($"candidate {t.bad}", StringComparison.Ordinal);
        }));
    }

    [Fact]
    public void Property_best_of_n_chooses_the_first_maximum_and_the_first_minimum()
    {
        // Rewards drawn from a small set so ties are frequent.
        var gen = Gen.Elements(0.0, 0.25, 0.5, 1.0).ArrayOf().Where(a => a.Length >= 2);
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), rewards =>
        {
            var result = Make("max-min").Select(new SelectionInput(rewards));
            var max = rewards.Max();
            var min = rewards.Min();
            if (max == min)
            {
                return result.IsSkipped;
            }
            var pair = result.Pairs.Single();
            return pair.Chosen == Array.IndexOf(rewards, max)
                && pair.Rejected == Array.IndexOf(rewards, min)
                && pair.Margin == max - min;
        }), maxTests: 300);
    }

    [Fact]
    public void Property_rbon_wd_chooses_the_first_argmax_of_the_regularised_score()
    {
        var gen =
            from n in Gen.Choose(2, 8)
            from r in Gen.Elements(0.0, 0.5, 1.0).ArrayOf(n)
            from s in Gen.Elements(0.0, 0.5, 1.0).ArrayOf(n * n)
            from beta in Gen.Elements(0.0, 0.5, 2.0)
            select (r, s, beta);
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var n = t.r.Length;
            var sim = Enumerable.Range(0, n).Select(i => t.s.Skip(i * n).Take(n).ToArray()).ToArray();
            var scores = Enumerable.Range(0, n).Select(i => t.r[i] + (t.beta * sim[i].Average())).ToArray();
            var expected = Array.IndexOf(scores, scores.Max());
            var result = Make("rbon-wd", t.beta).Select(new SelectionInput(t.r, null, sim));
            return result.IsSkipped
                ? t.r[expected] <= t.r.Where((_, i) => i != expected).Min()
                : result.Pairs[0].Chosen == expected && result.Pairs[0].Rejected != expected;
        }), maxTests: 300);
    }

    [Fact]
    public void Cosine_helpers_handle_zero_vectors_and_pool_with_a_mask()
    {
        var m = CosineSimilarity.Matrix([[1f, 0f], [1f, 1f], [0f, 0f]]);
        Assert.Equal(1.0, m[0][0], 1e-6);
        Assert.Equal(Math.Sqrt(0.5), m[0][1], 1e-6);
        Assert.Equal(0.0, m[2][2]);
        Assert.Equal(0.0, m[1][2]);
        // hidden [3, 2]; the masked-out middle row must not count.
        var pooled = CosineSimilarity.MeanPoolNormalized([3f, 0f, 100f, 100f, 0f, 4f], 2, [1f, 0f, 1f]);
        Assert.Equal(0.6f, pooled[0], 1e-6f);
        Assert.Equal(0.8f, pooled[1], 1e-6f);
    }
}
