namespace AlignStream.Alignment.Losses;

/// <summary>Numerically stable scalar helpers shared by the losses (ALGORITHMS.md global convention 3).</summary>
public static class Numerics
{
    /// <summary>softplus(u) = log(1 + e^u), written so that neither large nor very negative u overflows.</summary>
    public static double Softplus(double u) => Math.Max(u, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(u)));

    /// <summary>The logistic function, evaluated on the side that cannot overflow.</summary>
    public static double Sigmoid(double u)
    {
        if (u >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-u));
        }
        var e = Math.Exp(u);
        return e / (1.0 + e);
    }

    /// <summary>log σ(u) = −softplus(−u).</summary>
    public static double LogSigmoid(double u) => -Softplus(-u);

    /// <summary>log Σ exp(z), shifted by the maximum.</summary>
    public static double LogSumExp(ReadOnlySpan<double> z)
    {
        if (z.IsEmpty)
        {
            throw new ArgumentException("log-sum-exp of an empty vector is undefined", nameof(z));
        }
        var max = double.NegativeInfinity;
        foreach (var v in z)
        {
            max = Math.Max(max, v);
        }
        if (double.IsNegativeInfinity(max))
        {
            return max;
        }
        var sum = 0.0;
        foreach (var v in z)
        {
            sum += Math.Exp(v - max);
        }
        return max + Math.Log(sum);
    }

    /// <summary>Softmax written into <paramref name="probabilities"/>; −∞ entries get probability 0.</summary>
    public static void Softmax(ReadOnlySpan<double> z, Span<double> probabilities)
    {
        if (probabilities.Length != z.Length)
        {
            throw new ArgumentException($"output length {probabilities.Length} differs from input length {z.Length}", nameof(probabilities));
        }
        var lse = LogSumExp(z);
        for (var i = 0; i < z.Length; i++)
        {
            probabilities[i] = Math.Exp(z[i] - lse);
        }
    }

    /// <summary>Index of the largest value; ties go to the lowest index (numpy convention, ALGORITHMS.md convention 4).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("argmax of an empty vector is undefined", nameof(values));
        }
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
