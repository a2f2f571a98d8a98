using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace AlignStream.Engine.Sampling;

/// <summary>A drawn token and its behavior log-probability (log-softmax of the raw logits at temperature 1).</summary>
/// <param name="Token">The token id.</param>
/// <param name="LogProb">log p(token) under the raw model distribution.</param>
public readonly record struct SampledToken(int Token, float LogProb);

/// <summary>
/// Draws one token from next-token logits: temperature, then top-k, then top-p on the temperature-scaled
/// distribution; temperature 0 is greedy. Allocation-free: all work happens in a caller-provided scratch span
/// of at least <see cref="ScratchLength"/> floats.
/// </summary>
public static class Sampler
{
    /// <summary>Floats of scratch needed for a vocabulary of <paramref name="vocabSize"/>: probabilities, sort keys, indices.</summary>
    public static int ScratchLength(int vocabSize) => 3 * vocabSize;

    /// <summary>Samples from <paramref name="logits"/> ([V]); the log-prob is taken from the same logits at temperature 1.</summary>
    public static SampledToken Sample(ReadOnlySpan<float> logits, ref Xoshiro256 rng, SamplingOptions options, Span<float> scratch) =>
        Sample(logits, logits, ref rng, options, scratch);

    /// <summary>
    /// Samples from <paramref name="samplingLogits"/> (e.g. after a logits processor) and reports the log-prob of the
    /// drawn token under <paramref name="rawLogits"/> (the model's own distribution, temperature 1). Both are [V].
    /// </summary>
    public static SampledToken Sample(ReadOnlySpan<float> samplingLogits, ReadOnlySpan<float> rawLogits, ref Xoshiro256 rng, SamplingOptions options, Span<float> scratch)
    {
        ArgumentNullException.ThrowIfNull(options);
        var v = samplingLogits.Length;
        if (v == 0 || rawLogits.Length != v)
        {
            throw new ArgumentException($"logits must be non-empty and of equal length (sampling {v}, raw {rawLogits.Length}).", nameof(rawLogits));
        }

        if (scratch.Length < ScratchLength(v))
        {
            throw new ArgumentException($"scratch holds {scratch.Length} floats; sampling a vocabulary of {v} needs {ScratchLength(v)} (Sampler.ScratchLength).", nameof(scratch));
        }

        var token = Choose(samplingLogits, ref rng, options, scratch);
        return new SampledToken(token, LogSoftmaxAt(rawLogits, token, scratch[..v]));
    }

    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>] at temperature 1, computed in double; <paramref name="scratch"/> needs [V].</summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> logits, int token, Span<float> scratch)
    {
        var max = TensorPrimitives.Max(logits);
        if (float.IsNegativeInfinity(logits[token]))
        {
            return float.NegativeInfinity;
        }

        var e = scratch[..logits.Length];
        TensorPrimitives.Subtract(logits, max, e);
        TensorPrimitives.Exp(e, e);
        double sum = 0;
        for (var i = 0; i < e.Length; i++)
        {
            sum += e[i];
        }

        return (float)(logits[token] - max - Math.Log(sum));
    }

    private static int Choose(ReadOnlySpan<float> logits, ref Xoshiro256 rng, SamplingOptions o, Span<float> scratch)
    {
        var v = logits.Length;
        var max = TensorPrimitives.Max(logits);
        if (float.IsNaN(max) || float.IsNegativeInfinity(max))
        {
            throw new ArgumentException(float.IsNaN(max)
                ? "logits contain NaN; the model or a logits processor produced invalid values."
                : "every logit is -infinity; a logits processor forbade every token.", nameof(logits));
        }

        if (o.Temperature == 0f)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }

        // probs[i] = exp((l_i - max) / T): unnormalized temperature-scaled probabilities in (0, 1].
        var probs = scratch[..v];
        TensorPrimitives.Subtract(logits, max, probs);
        TensorPrimitives.Multiply(probs, 1f / o.Temperature, probs);
        TensorPrimitives.Exp(probs, probs);

        var topK = o.TopK > 0 && o.TopK < v ? o.TopK : v;
        if (topK == v && o.TopP >= 1f)
        {
            return DrawFromAll(probs, ref rng);
        }

        // keys = -probs so ascending order is most-likely first; idx carries token ids along.
        var keys = scratch.Slice(v, v);
        var idx = MemoryMarshal.Cast<float, int>(scratch.Slice(2 * v, v));
        TensorPrimitives.Negate(probs, keys);
        for (var i = 0; i < v; i++)
        {
            idx[i] = i;
        }

        if (topK < v)
        {
            SelectSmallest(keys, idx, topK);
        }

        keys[..topK].Sort(idx[..topK]);
        var kept = topK;
        double mass = 0;
        for (var i = 0; i < topK; i++)
        {
            mass -= keys[i];
        }

        if (o.TopP < 1f)
        {
            // Smallest prefix whose renormalized mass reaches TopP; the token crossing the threshold is kept.
            var target = o.TopP * mass;
            double cum = 0;
            kept = 0;
            while (kept < topK && cum < target)
            {
                cum -= keys[kept];
                kept++;
            }

            kept = Math.Max(kept, 1);
            mass = cum > 0 ? cum : -keys[0];
        }

        var u = rng.NextDouble() * mass;
        double acc = 0;
        for (var i = 0; i < kept; i++)
        {
            acc -= keys[i];
            if (u < acc)
            {
                return idx[i];
            }
        }

        return idx[kept - 1]; // rounding left u at the very top of the range
    }

    private static int DrawFromAll(ReadOnlySpan<float> probs, ref Xoshiro256 rng)
    {
        double total = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            total += probs[i];
        }

        var u = rng.NextDouble() * total;
        double acc = 0;
        var last = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0f)
            {
                continue;
            }

            acc += probs[i];
            last = i;
            if (u < acc)
            {
                return i;
            }
        }

        return last;
    }

    // Quickselect: moves the k smallest keys (with their ids) to the front, in no particular order.
    // Deterministic (median-of-three pivots, no randomness) so a seed fully determines the sample.
    private static void SelectSmallest(Span<float> keys, Span<int> idx, int k)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var pivot = Median(keys[lo], keys[mid], keys[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot)
                {
                    i++;
                }

                while (keys[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    (idx[i], idx[j]) = (idx[j], idx[i]);
                    i++;
                    j--;
                }
            }

            if (k - 1 <= j)
            {
                hi = j;
            }
            else if (k - 1 >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    private static float Median(float a, float b, float c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
