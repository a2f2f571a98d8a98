using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Losses;
using FsCheck;
using FsCheck.Fluent;

namespace AlignStream.Alignment.Tests;

public sealed class DecodingTests
{
    private const double Tol = TestSupport.VectorTolerance;

    // ALGORITHMS.md §4.6: d = 2, V = 5.
    private static LowRankRewardHead ExampleHead() => new(
        projection: [0.5f, 0f, 0.2f, 1.0f],
        baseline: [0.3f, 0.2f],
        embeddings: [1f, 0f, 0f, 1f, 1f, 1f, -1f, 0.5f, 0.3f, -0.2f],
        hiddenSize: 2);

    private static double[] Probabilities(bool inverse, int topK = 3, double beta = 2)
    {
        var head = ExampleHead();
        float[] hidden = [1.0f, -0.5f];
        float[] logits = [2.0f, 1.5f, 1.0f, 0.5f, -1.0f];
        var processor = new RewardAugmentedLogitsProcessor(new RadOptions { TopK = topK, Beta = beta, Inverse = inverse });
        processor.Process(logits, (candidates, rewards) => head.Score(hidden, candidates, rewards));
        var p = new double[logits.Length];
        Numerics.Softmax(logits.Select(x => (double)x).ToArray(), p);
        return p;
    }

    [Fact]
    public void Arm_head_rewards_match_the_worked_example()
    {
        var r = new float[5];
        ExampleHead().Score([1.0f, -0.5f], [0, 1, 2, 3, 4], r);
        Assert.Equal([0.7, -0.1, 0.4, -0.45, 0.41], r.Select(x => (double)x), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Rad_decoding_distribution_matches_appendix_A8()
    {
        var p = Probabilities(inverse: false);
        Assert.Equal([0.739938, 0.110671, 0.149391, 0, 0], p, (a, b) => Math.Abs(a - b) < Tol);
        var inverse = Probabilities(inverse: true);
        Assert.Equal([0.242135, 0.595557, 0.162308, 0, 0], inverse, (a, b) => Math.Abs(a - b) < Tol);
        // β = 0 leaves plain top-k sampling.
        var plain = Probabilities(inverse: false, beta: 0);
        Assert.Equal([0.506480, 0.307196, 0.186324, 0, 0], plain, (a, b) => Math.Abs(a - b) < Tol);
    }

    [Fact]
    public void Distillation_losses_match_appendix_A9()
    {
        Assert.Equal(0.005, RewardDistillationLosses.DistillationMse([0.25, 0.45, 0.5], [0.2, 0.5, 0.4]), Tol);
        Assert.Equal([1 / 6.0, 1 / 3.0, 0.5], RewardDistillationLosses.CumulativeWeights(3), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(0.21, RewardDistillationLosses.CumulativeMse([0.2, 0.5, 0.8], 1.0), Tol);
    }

    [Fact]
    public void Property_top_k_is_sorted_and_breaks_ties_by_lower_id()
    {
        var gen =
            from v in Gen.Choose(1, 40)
            from logits in Gen.Elements(-1f, 0f, 0.5f, 2f).ArrayOf(v)
            from k in Gen.Choose(1, v)
            select (logits, k);
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var result = new int[t.k];
            RewardAugmentedLogitsProcessor.TopK(t.logits, result);
            var expected = Enumerable.Range(0, t.logits.Length).OrderByDescending(i => t.logits[i]).ThenBy(i => i).Take(t.k);
            return result.SequenceEqual(expected);
        }), maxTests: 300);
    }

    [Fact]
    public void Tokens_outside_top_k_are_excluded_and_rewards_are_clamped()
    {
        float[] logits = [0f, 0f, 5f, 1f];
        var processor = new RewardAugmentedLogitsProcessor(new RadOptions { TopK = 2, Beta = 10 });
        var kept = processor.Process(logits, (c, r) => { r[0] = 7f; r[1] = -3f; });
        Assert.Equal([2, 3], kept.ToArray());
        Assert.Equal([float.NegativeInfinity, float.NegativeInfinity, 15f, 1f], logits);
        Assert.Throws<InvalidOperationException>(() => processor.Process(new float[4], (c, r) => r[0] = float.NaN));
    }
}
