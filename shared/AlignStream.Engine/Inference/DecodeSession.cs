using System.Numerics.Tensors;
using AlignStream.Engine.Kernels;
using AlignStream.Engine.Model;

namespace AlignStream.Engine.Inference;

/// <summary>
/// Batched incremental forward with a KV cache. Each <see cref="Step"/> takes a chunk of new tokens per
/// participating slot (a whole prompt for prefill, one token when decoding), runs them as one packed
/// batch through every layer (one GEMM per projection for all rows), appends their keys and values
/// to the cache, and returns the next-token logits after each chunk's last token. Buffers are sized once.
/// Q, K and V come from one product against their stacked weights (they are adjacent in the parameter
/// buffer), and so do gate and up: fewer, wider products, each split once across the threads.
/// </summary>
public sealed unsafe class DecodeSession
{
    private readonly float[] _buf;
    private readonly long _x, _ln, _qkv, _q, _k, _y, _gu, _h, _last, _rstd, _logits;
    private readonly int[] _positions;
    private readonly int[] _rowSlot;
    private readonly int[] _chunkStart;
    private readonly int[] _chunkLength;
    private readonly int[] _chunkSlot;

    /// <summary>Allocates a cache of <paramref name="slots"/> × <paramref name="capacity"/> and work buffers for up to <paramref name="maxStepTokens"/> new tokens per step.</summary>
    public DecodeSession(LlamaModel model, int slots, int capacity, int maxStepTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxStepTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxStepTokens), maxStepTokens, "maxStepTokens must be at least 1");
        }
        Model = model;
        Cache = new KvCache(model.Config, slots, capacity);
        MaxStepTokens = maxStepTokens;
        var cfg = model.Config;
        long n = maxStepTokens, c = cfg.HiddenSize, f = cfg.IntermediateSize, v = cfg.VocabSize;
        long qd = (long)cfg.NumAttentionHeads * cfg.HeadDim, kd = (long)cfg.NumKeyValueHeads * cfg.HeadDim;
        foreach (var o in model.Layout.Layers)
        {
            if (o.K != o.Q + (qd * c) || o.V != o.K + (kd * c) || o.Up != o.Gate + (f * c))
            {
                throw new InvalidOperationException("the decode step multiplies q/k/v and gate/up as stacked weights, which needs them adjacent in the parameter layout");
            }
        }
        long cur = 0;
        long Take(long size)
        {
            var o = cur;
            cur += (size + 15) & ~15L;
            return o;
        }
        _x = Take(n * c);
        _ln = Take(n * c);
        _qkv = Take(n * (qd + (2 * kd)));
        _q = Take(n * qd);
        _k = Take(n * kd);
        _y = Take(n * Math.Max(qd, c));
        _gu = Take(n * 2 * f);
        _h = Take(n * f);
        _last = Take(slots * c);
        _rstd = Take(n);
        _logits = Take(slots * v);
        _buf = new float[cur];
        _positions = new int[maxStepTokens];
        _rowSlot = new int[maxStepTokens];
        _chunkStart = new int[slots];
        _chunkLength = new int[slots];
        _chunkSlot = new int[slots];
    }

    /// <summary>The model.</summary>
    public LlamaModel Model { get; }

    /// <summary>The KV cache (reset slots through it).</summary>
    public KvCache Cache { get; }

    /// <summary>Most new tokens one step accepts.</summary>
    public int MaxStepTokens { get; }

    /// <summary>
    /// Appends <paramref name="tokens"/> (chunks back to back; chunk i has <paramref name="counts"/>[i] tokens
    /// and goes to slot <paramref name="slots"/>[i]) and returns logits [chunks, V]: row i is the next-token
    /// distribution after chunk i. The span is valid until the next step. <paramref name="weights"/> pins
    /// the weights (a generation should use one version from prefill to its last token, whatever hot swaps
    /// happen meanwhile); null takes the model's current weights.
    /// </summary>
    public ReadOnlySpan<float> Step(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts, ParameterSet? weights = null)
    {
        var cfg = Model.Config;
        var w = (weights ?? Model.Weights).Data;
        var lay = Model.Layout;
        int c = cfg.HiddenSize, f = cfg.IntermediateSize, v = cfg.VocabSize, hs = cfg.HeadDim;
        int nh = cfg.NumAttentionHeads, kvh = cfg.NumKeyValueHeads;
        int qd = nh * hs, kd = kvh * hs;
        var eps = (float)cfg.RmsNormEps;
        var chunks = slots.Length;
        if (counts.Length != chunks || chunks > Cache.Slots)
        {
            throw new ArgumentException($"slots ({chunks}) and counts ({counts.Length}) must match and not exceed {Cache.Slots} slots");
        }
        var n = 0;
        for (var i = 0; i < chunks; i++)
        {
            var s = slots[i];
            if ((uint)s >= (uint)Cache.Slots)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), s, $"slot must be within 0..{Cache.Slots - 1}");
            }
            if (counts[i] < 1)
            {
                throw new ArgumentException($"chunk {i} for slot {s} is empty; every participating slot needs at least one token", nameof(counts));
            }
            if (Cache.Lengths[s] + counts[i] > Cache.Capacity)
            {
                throw new InvalidOperationException($"slot {s} would hold {Cache.Lengths[s] + counts[i]} tokens, beyond its capacity of {Cache.Capacity}");
            }
            for (var j = 0; j < i; j++)
            {
                if (_chunkSlot[j] == s)
                {
                    throw new ArgumentException($"slot {s} appears twice in one step; send its tokens as one chunk", nameof(slots));
                }
            }
            _chunkStart[i] = n;
            _chunkLength[i] = counts[i];
            _chunkSlot[i] = s;
            for (var t = 0; t < counts[i]; t++)
            {
                _positions[n + t] = Cache.Lengths[s] + t;
                _rowSlot[n + t] = s;
            }
            n += counts[i];
        }
        if (n != tokens.Length || n > MaxStepTokens)
        {
            throw new ArgumentException($"tokens holds {tokens.Length} ids; counts add to {n}; at most {MaxStepTokens} per step");
        }
        var positions = _positions.AsSpan(0, n);
        var x = B(_x, n * c);
        Embedding.Forward(x, tokens, w.AsSpan(lay.Embedding, v * c), c);
        var ln = B(_ln, n * c);
        var qkvWidth = qd + (2 * kd);
        var qkv = B(_qkv, n * qkvWidth);
        var q = B(_q, n * qd);
        var k = B(_k, n * kd);
        var y = B(_y, n * qd);
        var gateUp = B(_gu, n * 2 * f);
        var hidden = B(_h, n * f);
        var rstd = B(_rstd, n);
        for (var l = 0; l < cfg.NumHiddenLayers; l++)
        {
            var o = lay.Layers[l];
            RmsNorm.Forward(ln, rstd, x, w.AsSpan(o.InputNorm, c), n, c, eps);
            // q_proj, k_proj and v_proj lie back to back: one [qd + 2·kd, c] product.
            Linear.Forward(qkv, ln, w.AsSpan(o.Q, qkvWidth * c), n, c, qkvWidth);
            for (var r = 0; r < n; r++)
            {
                var row = qkv.Slice(r * qkvWidth, qkvWidth);
                row[..qd].CopyTo(q.Slice(r * qd, qd));
                row.Slice(qd, kd).CopyTo(k.Slice(r * kd, kd));
            }
            Rope.Forward(q, positions, nh, Model.Rope);
            Rope.Forward(k, positions, kvh, Model.Rope);
            var cache = Cache.Data;
            for (var r = 0; r < n; r++)
            {
                var s = _rowSlot[r];
                var pos = _positions[r];
                k.Slice(r * kd, kd).CopyTo(cache.AsSpan((int)(Cache.KeyOffset(s, l) + ((long)pos * kd)), kd));
                qkv.Slice((r * qkvWidth) + qd + kd, kd).CopyTo(cache.AsSpan((int)(Cache.ValueOffset(s, l) + ((long)pos * kd)), kd));
            }
            Attend(l, chunks, nh, kvh, hs);
            // x += o_proj(y): the projection goes to ln (free now), then adds.
            Linear.Forward(ln, y, w.AsSpan(o.O, c * qd), n, qd, c);
            TensorPrimitives.Add(x, ln, x);
            RmsNorm.Forward(ln, rstd, x, w.AsSpan(o.PostNorm, c), n, c, eps);
            // gate_proj and up_proj lie back to back too: one [2f, c] product, rows [gate | up].
            Linear.Forward(gateUp, ln, w.AsSpan(o.Gate, 2 * f * c), n, c, 2 * f);
            for (var r = 0; r < n; r++)
            {
                var row = gateUp.Slice(r * 2 * f, 2 * f);
                SwiGlu.Forward(hidden.Slice(r * f, f), row[..f], row[f..]);
            }
            Linear.Forward(ln, hidden, w.AsSpan(o.Down, c * f), n, f, c);
            TensorPrimitives.Add(x, ln, x);
        }
        for (var i = 0; i < chunks; i++)
        {
            Cache.Lengths[_chunkSlot[i]] += _chunkLength[i];
        }
        // Only the last row of each chunk needs the output head.
        var last = B(_last, chunks * c);
        for (var i = 0; i < chunks; i++)
        {
            var row = _chunkStart[i] + _chunkLength[i] - 1;
            x.Slice(row * c, c).CopyTo(last.Slice(i * c, c));
        }
        RmsNorm.Forward(last, rstd, last, w.AsSpan(lay.FinalNorm, c), chunks, c, eps);
        var logits = B(_logits, chunks * v);
        Linear.Forward(logits, last, w.AsSpan(lay.LmHead, v * c), chunks, c, v);
        return logits;
    }

    private void Attend(int layer, int chunks, int nh, int kvh, int hs)
    {
        var qd = nh * hs;
        fixed (float* buf = _buf, cache = Cache.Data)
        {
            var bufL = (nint)buf;
            var cacheL = (nint)cache;
            void One(int i)
            {
                var s = _chunkSlot[i];
                var start = _chunkStart[i];
                var pq = (float*)bufL + _q + ((long)start * qd);
                var py = (float*)bufL + _y + ((long)start * qd);
                var pk = (float*)cacheL + Cache.KeyOffset(s, layer);
                var pv = (float*)cacheL + Cache.ValueOffset(s, layer);
                Attention.ForwardCached(py, pq, pk, pv, Cache.Lengths[s], _chunkLength[i], nh, kvh, hs);
            }
            if (Model.Threads > 1 && chunks > 1)
            {
                Blas.Gemm.ParallelFor(chunks, One);
            }
            else
            {
                for (var i = 0; i < chunks; i++)
                {
                    One(i);
                }
            }
        }
    }

    private Span<float> B(long offset, long length) => _buf.AsSpan((int)offset, (int)length);
}
