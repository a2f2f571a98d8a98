namespace AlignStream.Alignment.Decoding;

/// <summary>Scalar losses of ARM/RAD training (ALGORITHMS.md §4.3), kept engine-free so they can be tested on numbers.</summary>
public static class RewardDistillationLosses
{
    /// <summary>w_t = 2t / (L(L+1)) for t = 1..L: increasing weights that sum to 1.</summary>
    public static double[] CumulativeWeights(int length)
    {
        if (length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "a text needs at least one position.");
        }
        var w = new double[length];
        var denominator = length * (length + 1.0);
        for (var t = 1; t <= length; t++)
        {
            w[t - 1] = 2.0 * t / denominator;
        }
        return w;
    }

    /// <summary>Σ_t w_t·(s_t − y)² for one text with scalar label y; predictions: [L].</summary>
    public static double CumulativeMse(ReadOnlySpan<double> predictions, double label)
    {
        var w = CumulativeWeights(predictions.Length);
        var loss = 0.0;
        for (var t = 0; t < predictions.Length; t++)
        {
            var e = predictions[t] - label;
            loss += w[t] * e * e;
        }
        return loss;
    }

    /// <summary>Mean squared error between student and teacher per-position rewards.</summary>
    public static double DistillationMse(ReadOnlySpan<double> student, ReadOnlySpan<double> teacher)
    {
        if (student.Length != teacher.Length || student.IsEmpty)
        {
            throw new ArgumentException($"student ({student.Length}) and teacher ({teacher.Length}) must have the same non-zero length.");
        }
        var sum = 0.0;
        for (var t = 0; t < student.Length; t++)
        {
            var e = student[t] - teacher[t];
            sum += e * e;
        }
        return sum / student.Length;
    }

    /// <summary>∂/∂s_t of <see cref="CumulativeMse"/>: 2·w_t·(s_t − y); gradient: [L].</summary>
    public static double CumulativeMseBackward(ReadOnlySpan<double> predictions, double label, Span<double> gradient)
    {
        if (gradient.Length != predictions.Length)
        {
            throw new ArgumentException($"gradient has length {gradient.Length}; expected {predictions.Length}.", nameof(gradient));
        }
        var w = CumulativeWeights(predictions.Length);
        var loss = 0.0;
        for (var t = 0; t < predictions.Length; t++)
        {
            var e = predictions[t] - label;
            loss += w[t] * e * e;
            gradient[t] = 2 * w[t] * e;
        }
        return loss;
    }

    /// <summary>∂/∂student_t of <see cref="DistillationMse"/>: 2·(student_t − teacher_t)/L; gradient: [L].</summary>
    public static double DistillationMseBackward(ReadOnlySpan<double> student, ReadOnlySpan<double> teacher, Span<double> gradient)
    {
        var loss = DistillationMse(student, teacher);
        if (gradient.Length != student.Length)
        {
            throw new ArgumentException($"gradient has length {gradient.Length}; expected {student.Length}.", nameof(gradient));
        }
        for (var t = 0; t < student.Length; t++)
        {
            gradient[t] = 2 * (student[t] - teacher[t]) / student.Length;
        }
        return loss;
    }

    /// <summary>
    /// Baseline-prior regulariser (§4.3): mean over positions of (e_{v'}ᵀWh_t)² for one uniformly random
    /// token v' per position, i.e. the token-dependent part pulled to 0. tokenParts: [L] those values;
    /// gradient: [L], ∂/∂tokenPart_t = 2·x_t/L (scale by the coefficient, 1 in the reference code).
    /// </summary>
    public static double BaselinePriorBackward(ReadOnlySpan<double> tokenParts, Span<double> gradient)
    {
        var zeros = new double[tokenParts.Length];
        return DistillationMseBackward(tokenParts, zeros, gradient);
    }
}
