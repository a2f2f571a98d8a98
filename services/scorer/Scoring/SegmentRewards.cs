using AlignStream.Alignment.Segments;

namespace AlignStream.Scorer.Scoring;

/// <summary>
/// Segment-level rewards of one response (ALGORITHMS.md §5A): entropy segments of the reference model, each
/// segment's reward r_s = R(x, y_≤end_s) (the reward model on the response prefix that ends the segment, our
/// stand-in for a per-position value head), and per-token rewards after the location-aware normaliser.
/// </summary>
/// <param name="Segments">Inclusive token ranges.</param>
/// <param name="Rewards">r_s per segment.</param>
/// <param name="PerToken">Densified normalised rewards [L]; 0 outside every segment (the EOS).</param>
public sealed record SegmentRewards(Segment[] Segments, double[] Rewards, double[] PerToken)
{
    /// <summary>
    /// Segment ends for a response of <paramref name="length"/> tokens. When the response did not end with EOS
    /// (it hit the length limit), a virtual EOS is appended so the fix-up keeps every real token inside a segment.
    /// </summary>
    public static Segment[] Segment(double[] entropies, int length, bool endsWithEos, double tau)
    {
        ArgumentNullException.ThrowIfNull(entropies);
        var h = endsWithEos ? entropies : [.. entropies, 0.0];
        var eos = endsWithEos ? length - 1 : length;
        return EntropySegmenter.ToSegments(EntropySegmenter.SegmentEnds(h, eos, tau));
    }

    /// <summary>
    /// Soft DPO token weights [EXT] (ALGORITHMS.md §5B): per-token rewards standardised over the tokens inside
    /// segments, then w = clip(1 + sign·κ·ρ̃, 0, 2) (sign +1 for the chosen response, −1 for the rejected one);
    /// tokens outside every segment keep weight 1.
    /// </summary>
    public float[] TokenWeights(double kappa, bool chosen)
    {
        var inside = new bool[PerToken.Length];
        foreach (var s in Segments)
        {
            for (var t = s.Start; t <= s.End; t++)
            {
                inside[t] = true;
            }
        }
        var values = PerToken.Where((_, t) => inside[t]).ToArray();
        var mean = values.Length > 0 ? values.Average() : 0.0;
        var std = values.Length > 0 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length) : 0.0;
        var sign = chosen ? 1.0 : -1.0;
        var weights = new float[PerToken.Length];
        for (var t = 0; t < weights.Length; t++)
        {
            var z = inside[t] && std > 1e-12 ? (PerToken[t] - mean) / std : 0.0;
            weights[t] = (float)Math.Clamp(1.0 + (sign * kappa * z), 0.0, 2.0);
        }
        return weights;
    }
}
