namespace AlignStream.Alignment.Segments;

/// <summary>
/// Bradley–Terry loss of the segment reward model (ALGORITHMS.md §5A): a response's score is the mean of
/// its segment values R̄ = (1/S)·Σ r_s, and L = −log σ(R̄_w − R̄_l − margin). Gradients are per segment
/// value, so the engine can route them to the value head at each segment's last token.
/// </summary>
public static class SegmentPreferenceLoss
{
    /// <summary>
    /// Loss, with ∂L/∂r written per segment: chosenGradient [S_w], rejectedGradient [S_l].
    /// </summary>
    public static double Compute(ReadOnlySpan<double> chosenValues, ReadOnlySpan<double> rejectedValues, Span<double> chosenGradient, Span<double> rejectedGradient, double margin = 0.0)
    {
        if (chosenValues.IsEmpty || rejectedValues.IsEmpty)
        {
            throw new ArgumentException("each response needs at least one segment value (a length-1 response has one segment ending at its EOS).");
        }
        if (chosenGradient.Length != chosenValues.Length || rejectedGradient.Length != rejectedValues.Length)
        {
            throw new ArgumentException("gradient buffers must match the number of segment values of each response.");
        }
        var u = Mean(chosenValues) - Mean(rejectedValues) - margin;
        var loss = Losses.Numerics.Softplus(-u);
        // dL/du = −σ(−u), spread evenly over each response's segments by the mean.
        var g = -Losses.Numerics.Sigmoid(-u);
        chosenGradient.Fill(g / chosenValues.Length);
        rejectedGradient.Fill(-g / rejectedValues.Length);
        return loss;
    }

    /// <summary>R̄ = mean of the segment values (the reference code's agg_func = avg).</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"segment value {v} is not finite.", nameof(values));
            }
            sum += v;
        }
        return sum / values.Length;
    }
}
