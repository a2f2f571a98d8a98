namespace AlignStream.Alignment.Segments;

/// <summary>
/// Adaptive segment-level reward pieces (ALGORITHMS.md §5B, our instantiation): segments split at
/// "pivots" where the sign of the token reward changes, a hard mask that keeps the segments agreeing
/// with the sequence-level preference, and soft DPO token weights. Outputs plug into
/// <see cref="Losses.TokenWeightedDpoLoss"/>.
/// </summary>
public sealed class PivotSegmenter
{
    private readonly PivotOptions _options;

    public PivotSegmenter(PivotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    /// <summary>Token rewards from per-position prefix scores: ρ_t = s_t − s_{t−1}, with s_{−1} = <paramref name="initialScore"/>.</summary>
    public static double[] TokenRewardsFromPrefixScores(ReadOnlySpan<double> prefixScores, double initialScore = 0.0)
    {
        var rho = new double[prefixScores.Length];
        var previous = initialScore;
        for (var t = 0; t < rho.Length; t++)
        {
            rho[t] = prefixScores[t] - previous;
            previous = prefixScores[t];
        }
        return rho;
    }

    /// <summary>
    /// Segments where a pivot follows token t−1 whenever sign(ρ_t) differs from the current segment's sign;
    /// zero (or dead-zone) rewards continue the current segment.
    /// </summary>
    public Segment[] Segment(ReadOnlySpan<double> tokenRewards)
    {
        var segments = new List<Segment>();
        if (tokenRewards.IsEmpty)
        {
            return [];
        }
        var start = 0;
        var sign = 0;
        for (var t = 0; t < tokenRewards.Length; t++)
        {
            var r = tokenRewards[t];
            if (!double.IsFinite(r))
            {
                throw new ArgumentException($"token reward {t} is {r}; token rewards must be finite.", nameof(tokenRewards));
            }
            var s = Math.Abs(r) <= _options.DeadZone ? 0 : Math.Sign(r);
            if (s == 0)
            {
                continue;
            }
            if (sign != 0 && s != sign)
            {
                segments.Add(new Segment(start, t - 1));
                start = t;
            }
            sign = s;
        }
        segments.Add(new Segment(start, tokenRewards.Length - 1));
        return MergeShort(segments);
    }

    /// <summary>Σ_{t∈seg} ρ_t for each segment.</summary>
    public static double[] SegmentSums(ReadOnlySpan<double> tokenRewards, IReadOnlyList<Segment> segments)
    {
        var sums = new double[segments.Count];
        for (var i = 0; i < sums.Length; i++)
        {
            for (var t = segments[i].Start; t <= segments[i].End; t++)
            {
                sums[i] += tokenRewards[t];
            }
        }
        return sums;
    }

    /// <summary>
    /// ASR hard mask: chosen keeps tokens of segments with positive sum, rejected those with negative sum.
    /// Returns null when the mask is empty and <see cref="EmptyMaskPolicy.DropPair"/> is set.
    /// </summary>
    public double[]? Mask(ReadOnlySpan<double> tokenRewards, bool chosen)
    {
        var segments = Segment(tokenRewards);
        var sums = SegmentSums(tokenRewards, segments);
        var mask = new double[tokenRewards.Length];
        var any = false;
        for (var i = 0; i < segments.Length; i++)
        {
            if (chosen ? sums[i] > 0 : sums[i] < 0)
            {
                any = true;
                for (var t = segments[i].Start; t <= segments[i].End; t++)
                {
                    mask[t] = 1.0;
                }
            }
        }
        if (any || mask.Length == 0)
        {
            return mask;
        }
        if (_options.EmptyMask == EmptyMaskPolicy.DropPair)
        {
            return null;
        }
        Array.Fill(mask, 1.0);
        return mask;
    }

    /// <summary>
    /// Soft DPO weights from per-token rewards, standardised per response: chosen w = clip(1 + κρ̃, 0, 2),
    /// rejected w = clip(1 − κρ̃, 0, 2). A constant reward vector standardises to 0, giving weights of 1.
    /// </summary>
    public double[] SoftWeights(ReadOnlySpan<double> tokenRewards, bool chosen)
    {
        var n = tokenRewards.Length;
        var weights = new double[n];
        if (n == 0)
        {
            return weights;
        }
        var mean = 0.0;
        foreach (var r in tokenRewards)
        {
            mean += r;
        }
        mean /= n;
        var variance = 0.0;
        foreach (var r in tokenRewards)
        {
            variance += (r - mean) * (r - mean);
        }
        var std = Math.Sqrt(variance / n);
        var sign = chosen ? 1.0 : -1.0;
        for (var t = 0; t < n; t++)
        {
            var z = std > 0 ? (tokenRewards[t] - mean) / std : 0.0;
            weights[t] = Math.Clamp(1.0 + (sign * _options.Kappa * z), 0.0, 2.0);
        }
        return weights;
    }

    private Segment[] MergeShort(List<Segment> segments)
    {
        if (_options.MinLength <= 1)
        {
            return [.. segments];
        }
        var merged = new List<Segment>();
        foreach (var s in segments)
        {
            if (merged.Count > 0 && (s.Length < _options.MinLength || merged[^1].Length < _options.MinLength))
            {
                // A short segment joins its predecessor; a short first segment absorbs its successor.
                merged[^1] = new Segment(merged[^1].Start, s.End);
            }
            else
            {
                merged.Add(s);
            }
        }
        return [.. merged];
    }
}
