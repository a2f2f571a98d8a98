using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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

        var token = Choose(samplingLogits, ref rng, options, scratch, out var lseAtTemperatureOne);

        // When the draw already normalized these very logits at temperature 1, reuse its log-sum-exp.
        if (!double.IsNaN(lseAtTemperatureOne) && SameSpan(samplingLogits, rawLogits))
        {
            return new SampledToken(token, (float)(rawLogits[token] - lseAtTemperatureOne));
        }

        return new SampledToken(token, LogSoftmaxAt(rawLogits, token, scratch[..v]));
    }

    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>] at temperature 1; <paramref name="scratch"/> needs [V].</summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> logits, int token, Span<float> scratch)
    {
        if (float.IsNegativeInfinity(logits[token]))
        {
            return float.NegativeInfinity;
        }

        var max = TensorPrimitives.Max(logits);
        var e = scratch[..logits.Length];
        TensorPrimitives.Subtract(logits, max, e);
        TensorPrimitives.Exp(e, e);
        return (float)(logits[token] - max - Math.Log(TensorPrimitives.Sum(e)));
    }

    private static bool SameSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        a.Length == b.Length && Unsafe.AreSame(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b));

    // lseAtTemperatureOne: log-sum-exp of the logits when the draw computed it as a by-product (T = 1), else NaN.
    private static int Choose(ReadOnlySpan<float> logits, ref Xoshiro256 rng, SamplingOptions o, Span<float> scratch, out double lseAtTemperatureOne)
    {
        lseAtTemperatureOne = double.NaN;
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
        if (o.Temperature != 1f)
        {
            TensorPrimitives.Multiply(probs, 1f / o.Temperature, probs);
        }

        TensorPrimitives.Exp(probs, probs);
        var total = TensorPrimitives.Sum(probs);
        if (o.Temperature == 1f)
        {
            lseAtTemperatureOne = max + Math.Log(total);
        }

        var topK = o.TopK > 0 && o.TopK < v ? o.TopK : v;
        if (topK == v && o.TopP >= 1f)
        {
            return DrawFromAll(probs, total, ref rng);
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

        // The candidates now sit unordered in keys[..topK]; the draw does not need them sorted.
        var kept = topK;
        if (o.TopP < 1f)
        {
            double candidateMass = 0;
            for (var i = 0; i < topK; i++)
            {
                candidateMass -= keys[i];
            }

            kept = SelectNucleus(keys[..topK], idx[..topK], o.TopP * candidateMass);
        }

        double mass = 0;
        for (var i = 0; i < kept; i++)
        {
            mass -= keys[i];
        }

        var u = rng.NextDouble() * mass;
        double acc = 0;
        var lastPositive = 0;
        for (var i = 0; i < kept; i++)
        {
            if (keys[i] == 0f)
            {
                continue;
            }

            acc -= keys[i];
            lastPositive = i;
            if (u < acc)
            {
                return idx[i];
            }
        }

        return idx[lastPositive]; // u rounded up to the very top of the range
    }

    /// <summary>
    /// Moves the smallest set of most likely candidates whose mass reaches <paramref name="target"/> to the front
    /// of <paramref name="keys"/> (negated probabilities) and <paramref name="ids"/>, and returns its size: the token
    /// that crosses the threshold is kept. Expected linear time (a quickselect on cumulative mass) instead of a full sort.
    /// </summary>
    internal static int SelectNucleus(Span<float> keys, Span<int> ids, double target)
    {
        int lo = 0, hi = keys.Length; // [0, lo) is kept for certain; the boundary lies in [lo, hi)
        double acc = 0;               // mass of [0, lo)
        while (hi - lo > 16)
        {
            // Three-way partition of [lo, hi): [lo, lt) more likely than the pivot, [lt, gt) equal, [gt, hi) less likely.
            var pivot = Median(keys[lo], keys[lo + ((hi - lo) / 2)], keys[hi - 1]);
            int lt = lo, i = lo, gt = hi;
            while (i < gt)
            {
                if (keys[i] < pivot)
                {
                    Swap(keys, ids, lt++, i++);
                }
                else if (keys[i] > pivot)
                {
                    Swap(keys, ids, i, --gt);
                }
                else
                {
                    i++;
                }
            }

            double moreLikely = 0;
            for (var k = lo; k < lt; k++)
            {
                moreLikely -= keys[k];
            }

            if (acc + moreLikely >= target)
            {
                hi = lt;
                continue;
            }

            acc += moreLikely;
            for (var k = lt; k < gt; k++)
            {
                acc -= keys[k];
                if (acc >= target)
                {
                    return k + 1;
                }
            }

            lo = gt;
        }

        // A short range left: order it and walk.
        keys[lo..hi].Sort(ids[lo..hi]);
        for (var k = lo; k < hi; k++)
        {
            acc -= keys[k];
            if (acc >= target)
            {
                return k + 1;
            }
        }

        return Math.Max(hi, 1); // rounding kept the mass just below the target: keep everything
    }

    private static void Swap(Span<float> keys, Span<int> ids, int a, int b)
    {
        (keys[a], keys[b]) = (keys[b], keys[a]);
        (ids[a], ids[b]) = (ids[b], ids[a]);
    }

    private static int DrawFromAll(ReadOnlySpan<float> probs, float total, ref Xoshiro256 rng)
    {
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
