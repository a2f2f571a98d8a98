namespace AlignStream.Alignment.Decoding;

/// <summary>
/// The engine-free math of the ARM head (ALGORITHMS.md §4.2): r(y_&lt;t, v) = e_vᵀ(W·h) + w₀ᵀh, with h the
/// backbone's last hidden state [d], W [d, d] row-major, w₀ [d] (optional baseline) and e_v the frozen
/// output-embedding row of token v. One u = W·h per step scores any number of candidate tokens.
/// The backbone that produces h, and training, come with the engine.
/// </summary>
public sealed class LowRankRewardHead
{
    public LowRankRewardHead(float[] projection, float[]? baseline, float[] embeddings, int hiddenSize)
    {
        ArgumentNullException.ThrowIfNull(projection);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (hiddenSize < 1 || projection.Length != hiddenSize * hiddenSize)
        {
            throw new ArgumentException($"projection W must be [{hiddenSize}, {hiddenSize}] ({hiddenSize * hiddenSize} values), got {projection.Length}.");
        }
        if (baseline is not null && baseline.Length != hiddenSize)
        {
            throw new ArgumentException($"baseline w0 must have {hiddenSize} values, got {baseline.Length}.");
        }
        if (embeddings.Length % hiddenSize != 0)
        {
            throw new ArgumentException($"embedding table has {embeddings.Length} values, not a multiple of the width {hiddenSize}.");
        }
        Projection = projection;
        Baseline = baseline;
        Embeddings = embeddings;
        HiddenSize = hiddenSize;
    }

    public int HiddenSize { get; }

    /// <summary>W, [d, d].</summary>
    public float[] Projection { get; }

    /// <summary>w₀, [d], or null for the head without baseline.</summary>
    public float[]? Baseline { get; }

    /// <summary>E, [V, d] (frozen output embeddings).</summary>
    public float[] Embeddings { get; }

    public int VocabularySize => Embeddings.Length / HiddenSize;

    /// <summary>
    /// Backward of r = e_vᵀWh + w₀ᵀh for one (h, v) given ∂L/∂r: accumulates ∂L/∂W += g·e_v hᵀ,
    /// ∂L/∂w₀ += g·h and ∂L/∂h += g·(Wᵀe_v + w₀). E is frozen, so it gets no gradient.
    /// hidden: [d]; dProjection: [d, d]; dBaseline: [d] (ignored when the head has no baseline); dHidden: [d].
    /// </summary>
    public void Backward(ReadOnlySpan<float> hidden, int token, double dReward, Span<float> dProjection, Span<float> dBaseline, Span<float> dHidden)
    {
        var d = HiddenSize;
        if (hidden.Length != d || dProjection.Length != d * d || dHidden.Length != d || (Baseline is not null && dBaseline.Length != d))
        {
            throw new ArgumentException($"backward buffers must be hidden [{d}], dProjection [{d}x{d}], dBaseline [{d}] and dHidden [{d}].");
        }
        if ((uint)token >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary of {VocabularySize}.");
        }
        var e = Embeddings.AsSpan(token * d, d);
        for (var i = 0; i < d; i++)
        {
            var ge = dReward * e[i];
            var row = Projection.AsSpan(i * d, d);
            var dRow = dProjection.Slice(i * d, d);
            for (var j = 0; j < d; j++)
            {
                dRow[j] += (float)(ge * hidden[j]);
                dHidden[j] += (float)(ge * row[j]);
            }
        }
        if (Baseline is not null)
        {
            for (var j = 0; j < d; j++)
            {
                dBaseline[j] += (float)(dReward * hidden[j]);
                dHidden[j] += (float)(dReward * Baseline[j]);
            }
        }
    }

    /// <summary>Rewards of the candidate tokens given h [d]; rewards: [candidates.Length].</summary>
    public void Score(ReadOnlySpan<float> hidden, ReadOnlySpan<int> candidates, Span<float> rewards)
    {
        var d = HiddenSize;
        if (hidden.Length != d)
        {
            throw new ArgumentException($"hidden state has width {hidden.Length}; the head expects {d}.", nameof(hidden));
        }
        Span<double> u = d <= 512 ? stackalloc double[d] : new double[d];
        for (var i = 0; i < d; i++)
        {
            var acc = 0.0;
            for (var j = 0; j < d; j++)
            {
                acc += Projection[(i * d) + j] * (double)hidden[j];
            }
            u[i] = acc;
        }
        var baseline = 0.0;
        if (Baseline is not null)
        {
            for (var j = 0; j < d; j++)
            {
                baseline += Baseline[j] * (double)hidden[j];
            }
        }
        for (var c = 0; c < candidates.Length; c++)
        {
            var v = candidates[c];
            if ((uint)v >= (uint)VocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(candidates), v, $"token id outside the vocabulary of {VocabularySize}.");
            }
            var row = Embeddings.AsSpan(v * d, d);
            var acc = baseline;
            for (var j = 0; j < d; j++)
            {
                acc += row[j] * u[j];
            }
            rewards[c] = (float)acc;
        }
    }
}
