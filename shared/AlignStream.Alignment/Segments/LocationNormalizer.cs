namespace AlignStream.Alignment.Segments;

/// <summary>
/// Location-aware segment-reward normalisation and densification (ALGORITHMS.md §5A): for segment i of S,
/// p = i/S, μ(p) = a_μ·ln p + b_μ, σ(p) = a_σ·ln p + b_σ, r̂ = (r − μ)/σ, spread evenly over the segment's
/// tokens; tokens after the last segment (EOS, padding) get 0. Constants are fitted offline per
/// (RM, τ, policy family) and stored in the reference code's order [a_μ, a_σ, b_μ, b_σ].
/// </summary>
public sealed record LocationNormalizer(double AMu, double ASigma, double BMu, double BSigma)
{
    // The reference code adds this inside the log; kept so our numbers match its outputs exactly.
    private const double LogEpsilon = 1e-10;

    /// <summary>Builds from the param.json order [a_μ, a_σ, b_μ, b_σ].</summary>
    public static LocationNormalizer FromParams(IReadOnlyList<double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Count != 4 || p.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("normaliser params must be 4 finite numbers [a_mu, a_sigma, b_mu, b_sigma] (param.json order).", nameof(p));
        }
        return new LocationNormalizer(p[0], p[1], p[2], p[3]);
    }

    /// <summary>r̂_i for 0-based segment index i of S segments.</summary>
    public double Normalize(double reward, int index, int count)
    {
        var p = (index + 1) / (double)count;
        var lp = Math.Log(p + LogEpsilon);
        var mu = (AMu * lp) + BMu;
        var sigma = (ASigma * lp) + BSigma;
        if (!(Math.Abs(sigma) > 0))
        {
            throw new InvalidOperationException($"normaliser sigma is {sigma} at p={p}; refit the constants (sigma must stay away from 0).");
        }
        return (reward - mu) / sigma;
    }

    /// <summary>
    /// Per-token rewards of length <paramref name="length"/>. segmentRewards[i] is r_i of segments[i]
    /// (the RM value at the segment's last token).
    /// </summary>
    public double[] Densify(IReadOnlyList<Segment> segments, IReadOnlyList<double> segmentRewards, int length)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(segmentRewards);
        if (segments.Count != segmentRewards.Count)
        {
            throw new ArgumentException($"{segments.Count} segments but {segmentRewards.Count} segment rewards.");
        }
        var perToken = new double[length];
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (s.Start < 0 || s.End >= length)
            {
                throw new ArgumentException($"segment {i} [{s.Start}, {s.End}] lies outside the response of length {length}.");
            }
            var value = Normalize(segmentRewards[i], i, segments.Count) / s.Length;
            for (var t = s.Start; t <= s.End; t++)
            {
                perToken[t] = value;
            }
        }
        return perToken;
    }
}
