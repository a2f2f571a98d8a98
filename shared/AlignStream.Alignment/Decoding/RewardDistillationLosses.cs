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
}
