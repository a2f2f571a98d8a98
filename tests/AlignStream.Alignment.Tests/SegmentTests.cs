using AlignStream.Alignment.Losses;
using AlignStream.Alignment.Segments;
using FsCheck;
using FsCheck.Fluent;

namespace AlignStream.Alignment.Tests;

public sealed class SegmentTests
{
    private const double Tol = TestSupport.VectorTolerance;

    [Fact]
    public void Entropy_segmentation_matches_appendix_A10()
    {
        double[] h = [0.5, 2.3, 0.4, 0.3, 2.8, 0.9, 2.1, 0.2];
        var ends = EntropySegmenter.SegmentEnds(h, eos: 7, tau: 2.0);
        Assert.Equal([1, 4, 6], ends);
        var segments = EntropySegmenter.ToSegments(ends);
        Assert.Equal([new Segment(0, 1), new Segment(2, 4), new Segment(5, 6)], segments);

        double[] values = [0.9, -0.3, 1.2];
        var score = values.Average();
        Assert.Equal(0.6, score, Tol);
        Assert.Equal(0.474077, Numerics.Softplus(-(score - 0.1)), Tol);

        var normalizer = LocationNormalizer.FromParams([0.7209, 0.2330, 0.6055, 2.6555]);
        var perToken = normalizer.Densify(segments, values, h.Length);
        double[] expected = [0.226397, 0.226397, -0.079812, -0.079812, -0.079812, 0.111937, 0.111937, 0.0];
        Assert.Equal(expected, perToken, (a, b) => Math.Abs(a - b) < Tol);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.1, 0.1, 0.1 }, 3, new[] { 2 })]           // no cuts → eos−1
    [InlineData(new[] { 0.1, 3.0, 0.1, 3.0 }, 3, new[] { 1, 2 })]        // last cut at eos, previous not eos−1 → moved
    [InlineData(new[] { 0.1, 0.1, 3.0, 3.0 }, 3, new[] { 2 })]           // cuts at eos−1 and eos → drop eos
    [InlineData(new[] { 3.0, 0.1, 0.1, 0.1, 0.1 }, 4, new[] { 0, 3 })]   // last cut < eos−1 → append eos−1
    [InlineData(new[] { 3.0 }, 0, new[] { 0 })]                          // length-1 response ends at eos
    [InlineData(new[] { 3.0, 3.0, 3.0 }, 2, new[] { 0, 1 })]             // τ = 0-like: token-level up to eos−1
    public void End_of_response_fix_up(double[] h, int eos, int[] expected) =>
        Assert.Equal(expected, EntropySegmenter.SegmentEnds(h, eos, tau: 2.0));

    [Fact]
    public void Bandit_sentinel_gives_one_segment_ending_at_eos()
    {
        Assert.Equal([5], EntropySegmenter.SegmentEnds(new double[6], 5, EntropySegmenter.BanditTau));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropySegmenter.SegmentEnds(new double[3], 3, 1));
        Assert.Throws<ArgumentException>(() => EntropySegmenter.SegmentEnds([double.NaN, 1], 1, 1));
    }

    [Fact]
    public void Property_entropy_segments_tile_the_response_before_eos()
    {
        var gen =
            from n in Gen.Choose(2, 30)
            from h in Gen.Elements(0.0, 1.0, 2.5, 4.0).ArrayOf(n)
            from tau in Gen.Elements(0.0, 0.5, 2.0, 3.0)
            select (h, tau);
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var eos = t.h.Length - 1;
            var ends = EntropySegmenter.SegmentEnds(t.h, eos, t.tau);
            var increasing = ends.Zip(ends.Skip(1), (a, b) => a < b).All(x => x);
            // Every cut before eos−1 is a real high-entropy position; the last end is always eos−1 (EOS unassigned).
            var cutsAreReal = ends.SkipLast(1).All(j => t.h[j] > t.tau);
            var allHighCutsKept = Enumerable.Range(0, eos - 1).Where(j => t.h[j] > t.tau).All(j => ends.Contains(j));
            return increasing && ends[^1] == eos - 1 && cutsAreReal && allHighCutsKept
                && (t.tau > 0 || t.h.Take(eos).Any(x => x <= 0) || ends.Length == eos);
        }), maxTests: 300);
    }

    [Fact]
    public void Pivot_mask_matches_appendix_A11()
    {
        var segmenter = new PivotSegmenter(new PivotOptions());
        double[] rho = [0.3, 0.2, -0.4, -0.1, 0.5, 0.6];
        var segments = segmenter.Segment(rho);
        Assert.Equal([new Segment(0, 1), new Segment(2, 3), new Segment(4, 5)], segments);
        Assert.Equal([0.5, -0.5, 1.1], PivotSegmenter.SegmentSums(rho, segments), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal([1.0, 1, 0, 0, 1, 1], segmenter.Mask(rho, chosen: true)!);
        Assert.Equal([0.0, 0, 1, 1, 0, 0], segmenter.Mask(rho, chosen: false)!);
    }

    [Fact]
    public void Pivots_treat_zero_as_continuation_and_empty_masks_fall_back()
    {
        var segmenter = new PivotSegmenter(new PivotOptions());
        Assert.Equal([new Segment(0, 2), new Segment(3, 4)], segmenter.Segment([0.0, 0.4, 0.0, -0.2, 0.0]));
        Assert.Equal([1.0, 1, 1], segmenter.Mask([0.1, 0.2, 0.3], chosen: false)!);
        Assert.Null(new PivotSegmenter(new PivotOptions { EmptyMask = EmptyMaskPolicy.DropPair }).Mask([0.1, 0.2], chosen: false));
        var dz = new PivotSegmenter(new PivotOptions { DeadZone = 0.05 });
        Assert.Single(dz.Segment([0.3, -0.01, 0.2]));
        var minLen = new PivotSegmenter(new PivotOptions { MinLength = 2 });
        Assert.Equal([new Segment(0, 2), new Segment(3, 4)], minLen.Segment([0.3, 0.2, -0.1, 0.4, 0.5]));
        Assert.Equal([0.5, 0.25, -0.5], PivotSegmenter.TokenRewardsFromPrefixScores([0.5, 0.75, 0.25]), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Property_pivot_segments_partition_and_alternate_in_sign()
    {
        var gen = Gen.Elements(-1.0, -0.5, 0.0, 0.5, 1.0).ArrayOf().Where(a => a.Length > 0);
        var segmenter = new PivotSegmenter(new PivotOptions());
        TestSupport.Check(Prop.ForAll(gen.ToArbitrary(), rho =>
        {
            var segs = segmenter.Segment(rho);
            var tiles = segs[0].Start == 0 && segs[^1].End == rho.Length - 1 && segs.Zip(segs.Skip(1), (a, b) => b.Start == a.End + 1).All(x => x);
            int SignOf(Segment s) => Math.Sign(rho[s.Start..(s.End + 1)].FirstOrDefault(v => v != 0));
            var signsAlternate = segs.Zip(segs.Skip(1), (a, b) => SignOf(a) != SignOf(b)).All(x => x);
            var mixedInside = segs.Any(s => rho[s.Start..(s.End + 1)].Any(v => v > 0) && rho[s.Start..(s.End + 1)].Any(v => v < 0));
            return tiles && signsAlternate && !mixedInside;
        }), maxTests: 300);
    }

    [Fact]
    public void Soft_weights_follow_the_standardised_reward()
    {
        var s = new PivotSegmenter(new PivotOptions { Kappa = 0.5 });
        // ρ = [1, −1]: standardised [1, −1].
        Assert.Equal([1.5, 0.5], s.SoftWeights([1.0, -1.0], chosen: true));
        Assert.Equal([0.5, 1.5], s.SoftWeights([1.0, -1.0], chosen: false));
        Assert.Equal([1.0, 1.0], s.SoftWeights([0.3, 0.3], chosen: true));
        var big = new PivotSegmenter(new PivotOptions { Kappa = 10 }).SoftWeights([1.0, -1.0], chosen: true);
        Assert.Equal([2.0, 0.0], big);
    }

    [Fact]
    public void Token_entropy_is_in_nats_and_ignores_masked_tokens()
    {
        Assert.Equal(Math.Log(4), TokenEntropy.FromLogits([0.5f, 0.5f, 0.5f, 0.5f]), 1e-12);
        Assert.Equal(Math.Log(2), TokenEntropy.FromLogits([3f, float.NegativeInfinity, 3f]), 1e-12);
        // p = softmax([0, ln 3]) = [1/4, 3/4]: H = −(¼ ln ¼ + ¾ ln ¾).
        var expected = -((0.25 * Math.Log(0.25)) + (0.75 * Math.Log(0.75)));
        Assert.Equal(expected, TokenEntropy.FromLogits([0f, (float)Math.Log(3)]), 1e-6);
        Assert.Equal([Math.Log(2), 0.0], TokenEntropy.FromLogitRows([1f, 1f, 1000f, 0f], 2), (a, b) => Math.Abs(a - b) < 1e-9);
    }
}
