namespace AlignStream.Alignment.Losses;

/// <summary>
/// The SPO degree classifier q_φ(k|x,y) = softmax(W·h + b) (ALGORITHMS.md §2.1 step 3), a linear head
/// on the policy's final hidden state h at the last response token. Forward and backward sit side by
/// side: backward accumulates into <see cref="WeightGrad"/>/<see cref="BiasGrad"/> and ADDS ∂L/∂h into
/// the caller's buffer, so the engine can continue the backward pass into the policy.
/// </summary>
public sealed class SpoDegreeHead
{
    /// <summary>Creates a head with small seeded Gaussian weights (std <paramref name="initStd"/>) and zero bias.</summary>
    public SpoDegreeHead(int classes, int hiddenSize, int seed, double initStd = 0.02)
    {
        if (classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "the degree head needs at least 2 classes (Spo.Classes).");
        }
        if (hiddenSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "hiddenSize must be the policy's hidden width (>= 1).");
        }
        Classes = classes;
        HiddenSize = hiddenSize;
        Weight = new float[classes * hiddenSize];
        Bias = new float[classes];
        WeightGrad = new float[Weight.Length];
        BiasGrad = new float[classes];
        var rng = new Random(seed);
        for (var i = 0; i < Weight.Length; i++)
        {
            // Box–Muller: two uniforms to one standard normal.
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            Weight[i] = (float)(initStd * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    /// <summary>K, the number of degree classes.</summary>
    public int Classes { get; }

    /// <summary>d, the hidden width.</summary>
    public int HiddenSize { get; }

    /// <summary>W, shape [K, d] row-major.</summary>
    public float[] Weight { get; }

    /// <summary>b, shape [K].</summary>
    public float[] Bias { get; }

    /// <summary>∂L/∂W accumulated by <see cref="Backward"/>, shape [K, d].</summary>
    public float[] WeightGrad { get; }

    /// <summary>∂L/∂b accumulated by <see cref="Backward"/>, shape [K].</summary>
    public float[] BiasGrad { get; }

    /// <summary>Clears the accumulated parameter gradients.</summary>
    public void ZeroGrad()
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
    }

    /// <summary>z = W·h + b. hidden: [d]; logits: [K].</summary>
    public void Forward(ReadOnlySpan<float> hidden, Span<double> logits)
    {
        CheckShapes(hidden, logits.Length);
        var d = HiddenSize;
        for (var k = 0; k < Classes; k++)
        {
            var row = Weight.AsSpan(k * d, d);
            var acc = (double)Bias[k];
            for (var j = 0; j < d; j++)
            {
                acc += row[j] * (double)hidden[j];
            }
            logits[k] = acc;
        }
    }

    /// <summary>
    /// Cross-entropy of the degree label and its backward pass, all scaled by <paramref name="scale"/>
    /// (pass λ / number-of-variants to get the mean-over-variants loss of §2.1 step 4).
    /// hidden: [d]; dHidden: [d], accumulated into. Returns the unscaled cross-entropy.
    /// </summary>
    public double Backward(ReadOnlySpan<float> hidden, int label, double scale, Span<float> dHidden)
    {
        if ((uint)label >= (uint)Classes)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, $"degree label must be in [0, {Classes - 1}].");
        }
        if (dHidden.Length != HiddenSize)
        {
            throw new ArgumentException($"dHidden has length {dHidden.Length}; expected the hidden width {HiddenSize}.", nameof(dHidden));
        }
        Span<double> z = Classes <= 64 ? stackalloc double[Classes] : new double[Classes];
        Forward(hidden, z);
        var ce = CrossEntropy(z, label);
        // dL/dz = softmax(z) − onehot(label); reuse z for the probabilities.
        Numerics.Softmax(z, z);
        z[label] -= 1.0;
        var d = HiddenSize;
        for (var k = 0; k < Classes; k++)
        {
            var g = scale * z[k];
            BiasGrad[k] += (float)g;
            var row = Weight.AsSpan(k * d, d);
            var gradRow = WeightGrad.AsSpan(k * d, d);
            for (var j = 0; j < d; j++)
            {
                gradRow[j] += (float)(g * hidden[j]);
                dHidden[j] += (float)(g * row[j]);
            }
        }
        return ce;
    }

    /// <summary>CE(z, label) = logsumexp(z) − z[label].</summary>
    public static double CrossEntropy(ReadOnlySpan<double> logits, int label)
    {
        if ((uint)label >= (uint)logits.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, $"label must index the {logits.Length} logits.");
        }
        return Numerics.LogSumExp(logits) - logits[label];
    }

    private void CheckShapes(ReadOnlySpan<float> hidden, int logitsLength)
    {
        if (hidden.Length != HiddenSize)
        {
            throw new ArgumentException($"hidden state has length {hidden.Length}; the head was built for width {HiddenSize}.", nameof(hidden));
        }
        if (logitsLength != Classes)
        {
            throw new ArgumentException($"logits buffer has length {logitsLength}; expected {Classes} classes.", nameof(logitsLength));
        }
    }
}
