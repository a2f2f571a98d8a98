using System.Globalization;

namespace AlignStream.Alignment.Decoding;

/// <summary>
/// RAD/ARM logits processor (ALGORITHMS.md §4.1): keep the LM's top-k tokens (ties to the lower id),
/// add β·clamp(r, 0, 1) (or β·(1 − clamp(r, 0, 1)) in inverse mode) to their logits, set every other
/// logit to −∞. Sampling then proceeds from softmax at temperature 1. Allocation-free per call apart
/// from the buffers it owns.
/// </summary>
public sealed class RewardAugmentedLogitsProcessor
{
    private readonly RadOptions _options;
    private int[] _candidates = [];
    private float[] _rewards = [];

    public RewardAugmentedLogitsProcessor(RadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    public RadOptions Options => _options;

    /// <summary>Rewrites <paramref name="logits"/> [V] in place; returns the top-k token ids that remain finite.</summary>
    public ReadOnlySpan<int> Process(Span<float> logits, CandidateRewards rewards)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        var k = Math.Min(_options.TopK, logits.Length);
        if (_candidates.Length != k)
        {
            _candidates = new int[k];
            _rewards = new float[k];
        }
        TopK(logits, _candidates);
        rewards(_candidates, _rewards);
        for (var i = 0; i < k; i++)
        {
            var r = _rewards[i];
            if (float.IsNaN(r))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"reward for candidate token {_candidates[i]} is NaN; the reward head produced an invalid value."));
            }
            var clamped = Math.Clamp(r, 0f, 1f);
            _rewards[i] = _options.Inverse ? 1f - clamped : clamped;
        }
        // Save the kept logits before blanking the row, then write them back rescored.
        Span<float> kept = k <= 256 ? stackalloc float[k] : new float[k];
        for (var i = 0; i < k; i++)
        {
            kept[i] = logits[_candidates[i]];
        }
        logits.Fill(float.NegativeInfinity);
        for (var i = 0; i < k; i++)
        {
            logits[_candidates[i]] = (float)(kept[i] + (_options.Beta * _rewards[i]));
        }
        return _candidates;
    }

    /// <summary>The k largest logits' ids in descending order of logit; equal logits keep the lower id first.</summary>
    public static void TopK(ReadOnlySpan<float> logits, Span<int> result)
    {
        var k = result.Length;
        if (k > logits.Length)
        {
            throw new ArgumentException($"cannot take the top {k} of {logits.Length} logits.", nameof(result));
        }
        var filled = 0;
        // The k-th best logit so far; a candidate must beat it strictly (so equal logits keep the lower id).
        var threshold = float.NegativeInfinity;
        for (var v = 0; v < logits.Length; v++)
        {
            var z = logits[v];
            if (float.IsNaN(z))
            {
                throw new ArgumentException($"logit {v} is NaN.", nameof(logits));
            }
            if (filled == k && !(z > threshold))
            {
                continue;
            }
            // Insertion into the sorted prefix; strict > keeps earlier (lower) ids ahead on ties.
            var pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && z > logits[result[pos - 1]])
            {
                result[pos] = result[pos - 1];
                pos--;
            }
            result[pos] = v;
            if (filled == k)
            {
                threshold = logits[result[k - 1]];
            }
        }
    }
}
