namespace AlignStream.Alignment.Segments;

/// <summary>
/// Entropy cut points of Yin et al. (ALGORITHMS.md §5A): a segment ends at response token j when the
/// reference model's next-token entropy after j exceeds τ (nats), followed by the end-of-response
/// fix-up that leaves the EOS token outside every segment. τ ≥ <see cref="BanditTau"/> means one
/// segment ending at the EOS itself (the "bandit" sentinel).
/// </summary>
public static class EntropySegmenter
{
    /// <summary>The reference code's sentinel τ for sequence-level ("bandit") reward.</summary>
    public const double BanditTau = 1000.0;

    /// <summary>
    /// Segment end indices. entropies: [≥ eos+1], H_j for response token j; eos: index of the last
    /// response token (the EOS).
    /// </summary>
    public static int[] SegmentEnds(ReadOnlySpan<double> entropies, int eos, double tau)
    {
        if (eos < 0 || eos >= entropies.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(eos), eos, $"eos must index a response token (0..{entropies.Length - 1}).");
        }
        if (double.IsNaN(tau) || tau < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau is an entropy threshold in nats and must be >= 0 (0 = token-level segments).");
        }
        if (tau >= BanditTau)
        {
            return [eos];
        }
        var cuts = new List<int>();
        for (var j = 0; j <= eos; j++)
        {
            if (!double.IsFinite(entropies[j]))
            {
                throw new ArgumentException($"entropy at position {j} is {entropies[j]}; entropies must be finite.", nameof(entropies));
            }
            if (entropies[j] > tau)
            {
                cuts.Add(j);
            }
        }
        if (eos == 0)
        {
            // A response that is only its EOS: the one segment ends at eos (§5.3), nothing else is possible.
            return [0];
        }
        if (cuts.Count == 0)
        {
            cuts.Add(eos - 1);
        }
        else if (cuts[^1] == eos)
        {
            if (cuts.Count > 1 && cuts[^2] == eos - 1)
            {
                cuts.RemoveAt(cuts.Count - 1);
            }
            else
            {
                cuts[^1] = eos - 1;
            }
        }
        else if (cuts[^1] < eos - 1)
        {
            cuts.Add(eos - 1);
        }
        return [.. cuts];
    }

    /// <summary>The segments ending at <paramref name="ends"/>, starting right after the previous end.</summary>
    public static Segment[] ToSegments(ReadOnlySpan<int> ends)
    {
        var segments = new Segment[ends.Length];
        var start = 0;
        for (var i = 0; i < ends.Length; i++)
        {
            if (ends[i] < start)
            {
                throw new ArgumentException($"segment ends must be strictly increasing (end {ends[i]} at position {i}).", nameof(ends));
            }
            segments[i] = new Segment(start, ends[i]);
            start = ends[i] + 1;
        }
        return segments;
    }
}
