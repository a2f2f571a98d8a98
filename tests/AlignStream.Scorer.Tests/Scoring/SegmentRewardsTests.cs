using AlignStream.Alignment.Segments;
using AlignStream.Scorer.Scoring;

namespace AlignStream.Scorer.Tests.Scoring;

/// <summary>Unit: entropy segments (ALGORITHMS.md §5.2 example), the virtual EOS of a length-capped response, and soft token weights by hand.</summary>
public sealed class SegmentRewardsTests
{
    [Fact]
    public void Worked_example_segments_end_at_1_4_6_and_leave_the_eos_out()
    {
        double[] h = [0.5, 2.3, 0.4, 0.3, 2.8, 0.9, 2.1, 0.2];
        var segments = SegmentRewards.Segment(h, 8, endsWithEos: true, tau: 2.0);
        Assert.Equal([new Segment(0, 1), new Segment(2, 4), new Segment(5, 6)], segments);
    }

    [Fact]
    public void A_response_cut_at_the_length_limit_keeps_every_token_in_a_segment()
    {
        // No EOS: a virtual one is appended, so the last real token (index 3) ends the last segment.
        double[] h = [0.1, 3.0, 0.1, 0.1];
        var segments = SegmentRewards.Segment(h, 4, endsWithEos: false, tau: 2.0);
        Assert.Equal([new Segment(0, 1), new Segment(2, 3)], segments);
    }

    [Fact]
    public void Token_weights_standardise_inside_segments_and_clip()
    {
        // Per-token rewards of the §5.2 example: segment values 0.226397 (×2), −0.079812 (×3), 0.111937 (×2), EOS 0.
        double[] perToken = [0.226397, 0.226397, -0.079812, -0.079812, -0.079812, 0.111937, 0.111937, 0.0];
        var rewards = new SegmentRewards([new Segment(0, 1), new Segment(2, 4), new Segment(5, 6)], [0.9, -0.3, 1.2], perToken);
        var inside = perToken[..7];
        var mean = inside.Average();
        var std = Math.Sqrt(inside.Sum(v => (v - mean) * (v - mean)) / 7);

        var chosen = rewards.TokenWeights(0.5, chosen: true);
        var rejected = rewards.TokenWeights(0.5, chosen: false);

        for (var t = 0; t < 7; t++)
        {
            var z = (perToken[t] - mean) / std;
            Assert.Equal(Math.Clamp(1 + (0.5 * z), 0, 2), chosen[t], 1e-6);
            Assert.Equal(Math.Clamp(1 - (0.5 * z), 0, 2), rejected[t], 1e-6);
        }
        Assert.Equal(1f, chosen[7]);
        Assert.Equal(1f, rejected[7]);
        // A large κ clips to [0, 2].
        Assert.All(rewards.TokenWeights(100, chosen: true), w => Assert.InRange(w, 0f, 2f));
        Assert.Contains(0f, rewards.TokenWeights(100, chosen: true));
    }
}
