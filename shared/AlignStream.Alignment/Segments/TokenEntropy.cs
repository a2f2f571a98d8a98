namespace AlignStream.Alignment.Segments;

/// <summary>
/// Next-token entropy in nats from raw logits (ALGORITHMS.md §5A, §5.3: natural log, temperature 1, no
/// truncation): H = logsumexp(z) − Σ p_v z_v. The engine calls this on the reference model's logits
/// after each response token to feed <see cref="EntropySegmenter"/>.
/// </summary>
public static class TokenEntropy
{
    /// <summary>Entropy of softmax(logits); logits: [V].</summary>
    public static double FromLogits(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("entropy of an empty distribution is undefined.", nameof(logits));
        }
        var max = float.NegativeInfinity;
        foreach (var z in logits)
        {
            if (float.IsNaN(z) || float.IsPositiveInfinity(z))
            {
                throw new ArgumentException($"logit {z} is not usable for an entropy.", nameof(logits));
            }
            max = Math.Max(max, z);
        }
        // Shifted by the maximum: Σ e^(z−m) and Σ e^(z−m)·(z−m) give H = log S − (1/S)·Σ e^(z−m)(z−m).
        double sum = 0, weighted = 0;
        foreach (var z in logits)
        {
            if (float.IsNegativeInfinity(z))
            {
                continue;
            }
            var shifted = (double)z - max;
            var e = Math.Exp(shifted);
            sum += e;
            weighted += e * shifted;
        }
        return Math.Log(sum) - (weighted / sum);
    }

    /// <summary>Entropies of T rows of logits; logits: [T, V] row-major; result: [T].</summary>
    public static double[] FromLogitRows(ReadOnlySpan<float> logits, int vocabulary)
    {
        if (vocabulary < 1 || logits.Length % vocabulary != 0)
        {
            throw new ArgumentException($"logits length {logits.Length} is not a multiple of the vocabulary size {vocabulary}.");
        }
        var rows = logits.Length / vocabulary;
        var h = new double[rows];
        for (var t = 0; t < rows; t++)
        {
            h[t] = FromLogits(logits.Slice(t * vocabulary, vocabulary));
        }
        return h;
    }
}
