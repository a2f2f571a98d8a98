using System.Numerics.Tensors;

namespace AlignStream.Engine.Kernels;

/// <summary>
/// Softmax over the vocabulary per row with the log-probability of a target token and the entropy,
/// and the backward pass from a gradient on the target log-probability.
/// </summary>
public static class LogSoftmax
{
    /// <summary>
    /// logits[N,V] are replaced by probabilities. For each row n: logProb[n] = log softmax(z)[targets[n]]
    /// (0 when targets[n] &lt; 0), entropy[n] = −Σ p log p (an empty span skips it).
    /// </summary>
    public static void Forward(Span<float> logits, ReadOnlySpan<int> targets, Span<float> logProb, Span<float> entropy, int n, int vocab)
    {
        for (var i = 0; i < n; i++)
        {
            var z = logits.Slice(i * vocab, vocab);
            var t = targets.IsEmpty ? -1 : targets[i];
            if (t >= vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"target token at row {i} is outside the vocabulary of {vocab}");
            }
            var max = TensorPrimitives.Max(z);
            var zt = t >= 0 ? z[t] : 0f;
            TensorPrimitives.Subtract(z, max, z);
            TensorPrimitives.Exp(z, z);
            var sum = TensorPrimitives.Sum(z);
            var logSum = MathF.Log(sum);
            if (!logProb.IsEmpty)
            {
                logProb[i] = t >= 0 ? zt - max - logSum : 0f;
            }
            TensorPrimitives.Multiply(z, 1f / sum, z);
            if (!entropy.IsEmpty)
            {
                // H = −Σ p log p with log p = log(p) computed from the normalised probabilities; p = 0 terms vanish.
                double h = 0;
                for (var v = 0; v < vocab; v++)
                {
                    var p = z[v];
                    if (p > 0f)
                    {
                        h -= p * Math.Log(p);
                    }
                }
                entropy[i] = (float)h;
            }
        }
    }

    /// <summary>dLogits[n,:] = dLogProb[n] · (onehot(targets[n]) − p[n,:]) written over (not added to) dLogits; rows with no target or zero gradient become zero.</summary>
    public static void Backward(Span<float> dLogits, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, ReadOnlySpan<float> dLogProb, int n, int vocab)
    {
        for (var i = 0; i < n; i++)
        {
            var d = dLogits.Slice(i * vocab, vocab);
            var g = dLogProb[i];
            var t = targets[i];
            if (t < 0 || g == 0f)
            {
                d.Clear();
                continue;
            }
            TensorPrimitives.Multiply(probs.Slice(i * vocab, vocab), -g, d);
            d[t] += g;
        }
    }

    /// <summary>Naive float64 reference for one row: (log-prob of target, entropy).</summary>
    public static (double LogProb, double Entropy) RowNaive(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var z in logits)
        {
            max = Math.Max(max, z);
        }
        double sum = 0;
        foreach (var z in logits)
        {
            sum += Math.Exp(z - max);
        }
        var lse = max + Math.Log(sum);
        double h = 0;
        foreach (var z in logits)
        {
            var lp = z - lse;
            h -= Math.Exp(lp) * lp;
        }
        return (target >= 0 ? logits[target] - lse : 0, h);
    }
}
