using AlignStream.Engine.Kernels;
using AlignStream.Engine.Model;

namespace AlignStream.Engine.Training;

/// <summary>
/// Forward and explicit backward of a <see cref="LlamaModel"/> over a packed <see cref="SequenceBatch"/>,
/// with the gradient buffer and the activation buffer allocated once for the capacity. Not thread-safe:
/// one session per training loop.
/// <para>
/// Index convention: row n of a sequence produces the distribution of the token at row n+1. The
/// log-probability of token t of a sequence (t ≥ 1) is <c>RowLogProbs[start + t − 1]</c>; token 0 is never scored.
/// </para>
/// </summary>
public sealed class TrainingSession
{
    private readonly Activations _act;
    private ParameterSet? _forwardWeights;
    private bool _saved;

    /// <summary>Allocates buffers for at most <paramref name="maxSequences"/> sequences, <paramref name="maxTokens"/> tokens, each at most <paramref name="maxSequenceLength"/> long.</summary>
    public TrainingSession(LlamaModel model, int maxSequences, int maxTokens, int maxSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxSequenceLength < 1 || maxSequenceLength > model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength, $"maxSequenceLength must be within 1..{model.Config.MaxPositionEmbeddings} (max_position_embeddings)");
        }
        Model = model;
        MaxSequenceLength = maxSequenceLength;
        Batch = new SequenceBatch(maxSequences, maxTokens);
        Gradients = new ParameterSet(model.Layout, "grad");
        _act = new Activations(model.Config, maxTokens, maxSequenceLength);
    }

    /// <summary>The model.</summary>
    public LlamaModel Model { get; }

    /// <summary>The batch the next <see cref="Forward"/> reads. Fill it, then call Forward.</summary>
    public SequenceBatch Batch { get; }

    /// <summary>Gradient buffer, same layout as the weights; <see cref="Backward"/> accumulates into it.</summary>
    public ParameterSet Gradients { get; }

    /// <summary>Longest sequence accepted.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Row n: log p(token at row n+1) from the last forward; 0 on each sequence's last row [N].</summary>
    public ReadOnlySpan<float> RowLogProbs => _act.Span(_act.LogProb, Batch.TokenCount);

    /// <summary>Row n: entropy of the distribution of the next token (filled when Forward was asked for entropies) [N].</summary>
    public ReadOnlySpan<float> RowEntropies => _act.Span(_act.Entropy, Batch.TokenCount);

    /// <summary>Final hidden states after the last RMSNorm (what the output head reads) [N, C].</summary>
    public ReadOnlySpan<float> FinalHidden => _act.Span(_act.LnF, (long)Batch.TokenCount * Model.Config.HiddenSize);

    /// <summary>Softmax probabilities of the last forward [N, V].</summary>
    public ReadOnlySpan<float> Probabilities => _act.Span(_act.Probs, (long)Batch.TokenCount * Model.Config.VocabSize);

    /// <summary>Zeroes the gradient buffer.</summary>
    public void ZeroGradients() => Array.Clear(Gradients.Data);

    /// <summary>
    /// Runs the model over <see cref="Batch"/>. With <paramref name="forBackward"/> every layer's
    /// activations are kept for <see cref="Backward"/>; without, layers share one set of regions.
    /// Logits are turned into probabilities in place; <paramref name="logitsOut"/>, when not empty,
    /// receives the raw logits [N, V] first.
    /// </summary>
    public void Forward(bool forBackward, bool entropies = false, Span<float> logitsOut = default)
    {
        var cfg = Model.Config;
        var w = Model.Weights;
        _forwardWeights = w;
        _saved = forBackward;
        var b = Batch;
        if (b.MaxLength > MaxSequenceLength)
        {
            throw new InvalidOperationException($"a sequence of {b.MaxLength} tokens exceeds this session's maxSequenceLength of {MaxSequenceLength}");
        }
        int n = b.TokenCount, c = cfg.HiddenSize, f = cfg.IntermediateSize, v = cfg.VocabSize, hs = cfg.HeadDim;
        int nh = cfg.NumAttentionHeads, kvh = cfg.NumKeyValueHeads;
        int qd = nh * hs, kd = kvh * hs;
        var eps = (float)cfg.RmsNormEps;
        var p = w.Data;
        var lay = Model.Layout;
        var tokens = b.Tokens.AsSpan(0, n);
        var positions = b.Positions.AsSpan(0, n);

        Embedding.Forward(A(_act.X[0], n * c), tokens, p.AsSpan(lay.Embedding, v * c), c);
        for (var l = 0; l < cfg.NumHiddenLayers; l++)
        {
            var s = _act.Layer[forBackward ? l : 0];
            var o = lay.Layers[l];
            var x = A(_act.X[l], n * c);
            RmsNorm.Forward(A(s.Ln1, n * c), A(s.Rstd1, n), x, p.AsSpan(o.InputNorm, c), n, c, eps);
            Linear.Forward(A(s.Q, n * qd), A(s.Ln1, n * c), p.AsSpan(o.Q, qd * c), n, c, qd);
            Linear.Forward(A(s.K, n * kd), A(s.Ln1, n * c), p.AsSpan(o.K, kd * c), n, c, kd);
            Linear.Forward(A(s.V, n * kd), A(s.Ln1, n * c), p.AsSpan(o.V, kd * c), n, c, kd);
            Rope.Forward(A(s.Q, n * qd), positions, nh, Model.Rope);
            Rope.Forward(A(s.K, n * kd), positions, kvh, Model.Rope);
            Attention.Forward(A(s.Y, n * qd), A(s.Probs, Attention.ProbsSize(b.Lengths.AsSpan(0, b.Count), nh)),
                A(s.Q, n * qd), A(s.K, n * kd), A(s.V, n * kd), b.Starts, b.Lengths, b.Count, nh, kvh, hs, Model.Threads);
            var xMid = A(s.XMid, n * c);
            Linear.Forward(xMid, A(s.Y, n * qd), p.AsSpan(o.O, c * qd), n, qd, c);
            System.Numerics.Tensors.TensorPrimitives.Add(xMid, x, xMid);
            RmsNorm.Forward(A(s.Ln2, n * c), A(s.Rstd2, n), xMid, p.AsSpan(o.PostNorm, c), n, c, eps);
            Linear.Forward(A(s.G, n * f), A(s.Ln2, n * c), p.AsSpan(o.Gate, f * c), n, c, f);
            Linear.Forward(A(s.U, n * f), A(s.Ln2, n * c), p.AsSpan(o.Up, f * c), n, c, f);
            SwiGlu.Forward(A(s.H, n * f), A(s.G, n * f), A(s.U, n * f));
            var xNext = A(_act.X[l + 1], n * c);
            Linear.Forward(xNext, A(s.H, n * f), p.AsSpan(o.Down, c * f), n, f, c);
            System.Numerics.Tensors.TensorPrimitives.Add(xNext, xMid, xNext);
        }
        var last = A(_act.X[cfg.NumHiddenLayers], n * c);
        RmsNorm.Forward(A(_act.LnF, n * c), A(_act.RstdF, n), last, p.AsSpan(lay.FinalNorm, c), n, c, eps);
        var probs = A(_act.Probs, (long)n * v);
        Linear.Forward(probs, A(_act.LnF, n * c), p.AsSpan(lay.LmHead, v * c), n, c, v);
        if (!logitsOut.IsEmpty)
        {
            probs.CopyTo(logitsOut);
        }
        LogSoftmax.Forward(probs, b.Targets.AsSpan(0, n), A(_act.LogProb, n), entropies ? A(_act.Entropy, n) : default, n, v);
    }

    /// <summary>
    /// Backward from dL/d(row log-prob) [N] (row space, see the type summary) and optionally
    /// dL/d(final hidden) [N, C] from a head trained outside the engine. Gradients accumulate into
    /// <see cref="Gradients"/>; call <see cref="ZeroGradients"/> between steps.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dRowLogProb, ReadOnlySpan<float> dFinalHidden = default)
    {
        if (!_saved || _forwardWeights is null)
        {
            throw new InvalidOperationException("Backward needs a preceding Forward(forBackward: true) on the same batch");
        }
        var cfg = Model.Config;
        var b = Batch;
        int n = b.TokenCount, c = cfg.HiddenSize, f = cfg.IntermediateSize, v = cfg.VocabSize, hs = cfg.HeadDim;
        int nh = cfg.NumAttentionHeads, kvh = cfg.NumKeyValueHeads;
        int qd = nh * hs, kd = kvh * hs;
        if (dRowLogProb.Length != n)
        {
            throw new ArgumentException($"dRowLogProb has {dRowLogProb.Length} values for a batch of {n} tokens", nameof(dRowLogProb));
        }
        if (!dFinalHidden.IsEmpty && dFinalHidden.Length != n * c)
        {
            throw new ArgumentException($"dFinalHidden has {dFinalHidden.Length} values; expected N·C = {n * c}", nameof(dFinalHidden));
        }
        var p = _forwardWeights.Data;
        var g = Gradients.Data;
        var lay = Model.Layout;
        var positions = b.Positions.AsSpan(0, n);
        var scratch = A(_act.Scratch, RmsNorm.ScratchSize(c));

        var dLogits = A(_act.DLogits, (long)n * v);
        LogSoftmax.Backward(dLogits, A(_act.Probs, (long)n * v), b.Targets.AsSpan(0, n), dRowLogProb, n, v);
        var dLn = A(_act.DLn, n * c);
        dLn.Clear();
        Linear.Backward(dLn, g.AsSpan(lay.LmHead, v * c), dLogits, A(_act.LnF, n * c), p.AsSpan(lay.LmHead, v * c), n, c, v);
        if (!dFinalHidden.IsEmpty)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dLn, dFinalHidden, dLn);
        }
        var dx = A(_act.DX, n * c);
        dx.Clear();
        RmsNorm.Backward(dx, g.AsSpan(lay.FinalNorm, c), dLn, A(_act.X[cfg.NumHiddenLayers], n * c), p.AsSpan(lay.FinalNorm, c), A(_act.RstdF, n), n, c, scratch);

        var dq = A(_act.DQ, n * qd);
        var dk = A(_act.DK, n * kd);
        var dv = A(_act.DV, n * kd);
        var dy = A(_act.DY, n * qd);
        var dgate = A(_act.DG, n * f);
        var dup = A(_act.DU, n * f);
        var dh = A(_act.DH, n * f);
        for (var l = cfg.NumHiddenLayers - 1; l >= 0; l--)
        {
            var s = _act.Layer[l];
            var o = lay.Layers[l];
            // x_{l+1} = xMid + down(h)
            dh.Clear();
            Linear.Backward(dh, g.AsSpan(o.Down, c * f), dx, A(s.H, n * f), p.AsSpan(o.Down, c * f), n, f, c);
            dgate.Clear();
            dup.Clear();
            SwiGlu.Backward(dgate, dup, dh, A(s.G, n * f), A(s.U, n * f));
            dLn.Clear();
            Linear.Backward(dLn, g.AsSpan(o.Gate, f * c), dgate, A(s.Ln2, n * c), p.AsSpan(o.Gate, f * c), n, c, f);
            Linear.Backward(dLn, g.AsSpan(o.Up, f * c), dup, A(s.Ln2, n * c), p.AsSpan(o.Up, f * c), n, c, f);
            RmsNorm.Backward(dx, g.AsSpan(o.PostNorm, c), dLn, A(s.XMid, n * c), p.AsSpan(o.PostNorm, c), A(s.Rstd2, n), n, c, scratch);
            // xMid = x_l + o_proj(y)
            dy.Clear();
            Linear.Backward(dy, g.AsSpan(o.O, c * qd), dx, A(s.Y, n * qd), p.AsSpan(o.O, c * qd), n, qd, c);
            dq.Clear();
            dk.Clear();
            dv.Clear();
            Attention.Backward(dq, dk, dv, dy, A(s.Probs, Attention.ProbsSize(b.Lengths.AsSpan(0, b.Count), nh)),
                A(s.Q, n * qd), A(s.K, n * kd), A(s.V, n * kd), b.Starts, b.Lengths, b.Count, nh, kvh, hs, Model.Threads);
            Rope.Backward(dq, positions, nh, Model.Rope);
            Rope.Backward(dk, positions, kvh, Model.Rope);
            dLn.Clear();
            Linear.Backward(dLn, g.AsSpan(o.Q, qd * c), dq, A(s.Ln1, n * c), p.AsSpan(o.Q, qd * c), n, c, qd);
            Linear.Backward(dLn, g.AsSpan(o.K, kd * c), dk, A(s.Ln1, n * c), p.AsSpan(o.K, kd * c), n, c, kd);
            Linear.Backward(dLn, g.AsSpan(o.V, kd * c), dv, A(s.Ln1, n * c), p.AsSpan(o.V, kd * c), n, c, kd);
            RmsNorm.Backward(dx, g.AsSpan(o.InputNorm, c), dLn, A(_act.X[l], n * c), p.AsSpan(o.InputNorm, c), A(s.Rstd1, n), n, c, scratch);
        }
        Embedding.Backward(g.AsSpan(lay.Embedding, v * c), dx, b.Tokens.AsSpan(0, n), c);
    }

    /// <summary>Log-probabilities of tokens 1..L−1 of sequence <paramref name="seq"/> into dest[1..L−1]; dest[0] = 0.</summary>
    public void SequenceLogProbs(int seq, Span<float> dest)
    {
        var start = Batch.Starts[seq];
        var len = Batch.Lengths[seq];
        if (len == 0)
        {
            return;
        }
        dest[0] = 0f;
        RowLogProbs.Slice(start, len - 1).CopyTo(dest[1..len]);
    }

    /// <summary>
    /// Σ over tokens t ≥ <paramref name="responseStart"/> of log p(token t), in float64 (convention 1:
    /// response tokens only). Optional per-token weights index the response (weights[t − responseStart]).
    /// </summary>
    public double ResponseLogProbSum(int seq, int responseStart, ReadOnlySpan<float> weights = default)
    {
        var start = Batch.Starts[seq];
        var len = Batch.Lengths[seq];
        if (responseStart < 1 || responseStart > len)
        {
            throw new ArgumentOutOfRangeException(nameof(responseStart), responseStart, $"the response must start within 1..{len} (the first token has no log-prob)");
        }
        var rows = RowLogProbs;
        double s = 0;
        for (var t = responseStart; t < len; t++)
        {
            var lp = (double)rows[start + t - 1];
            s += weights.IsEmpty ? lp : lp * weights[t - responseStart];
        }
        return s;
    }

    /// <summary>Final hidden state [C] at row <paramref name="t"/> of a sequence (e.g. the last prompt token, for bandit context).</summary>
    public ReadOnlySpan<float> HiddenAt(int seq, int t)
    {
        var c = Model.Config.HiddenSize;
        return FinalHidden.Slice((Batch.Starts[seq] + t) * c, c);
    }

    /// <summary>Mean of the final hidden states over rows [from, to) of a sequence into dest [C].</summary>
    public void MeanHidden(int seq, int from, int to, Span<float> dest)
    {
        var c = Model.Config.HiddenSize;
        dest[..c].Clear();
        for (var t = from; t < to; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dest[..c], HiddenAt(seq, t), dest[..c]);
        }
        if (to > from)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(dest[..c], 1f / (to - from), dest[..c]);
        }
    }

    /// <summary>A writable zeroed row-space gradient buffer [N] owned by the session, for callers that build dRowLogProb.</summary>
    public Span<float> RowGradientBuffer()
    {
        var d = A(_act.DLogProb, Batch.TokenCount);
        d.Clear();
        return d;
    }

    private Span<float> A(long offset, long length) => _act.Span(offset, length);
}
