using System.Numerics.Tensors;
using AlignStream.Engine.Blas;

namespace AlignStream.Engine.Kernels;

/// <summary>
/// Causal multi-head / grouped-query attention over packed sequences. Sequences are stored back to
/// back (row-major [N, ·]); sequence b occupies rows [starts[b], starts[b]+lengths[b]), so padding never
/// enters the computation. Query head h reads key/value head h / (H / KVH). Scores and outputs are
/// GEMMs per (sequence, head); work is split by (sequence, kv head) so gradient writes never overlap.
/// </summary>
public static unsafe class Attention
{
    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>Floats needed for the saved attention probabilities of a batch: Σ_b H·L_b².</summary>
    public static long ProbsSize(ReadOnlySpan<int> lengths, int heads)
    {
        long s = 0;
        foreach (var l in lengths)
        {
            s += (long)heads * l * l;
        }
        return s;
    }

    /// <summary>
    /// y[N,H·HS] = softmax(q kᵀ/√HS + causal mask) v. q[N,H·HS], k and v [N,KVH·HS]. probs receives
    /// [H, L, L] per sequence, back to back (zeros above the diagonal), for <see cref="Backward"/>.
    /// </summary>
    public static void Forward(Span<float> y, Span<float> probs, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int[] starts, int[] lengths, int batch, int heads, int kvHeads, int headSize, int threads)
    {
        Validate(heads, kvHeads);
        if (probs.Length < ProbsSize(lengths.AsSpan(0, batch), heads))
        {
            throw new ArgumentException("probs buffer is smaller than ProbsSize(lengths, heads)", nameof(probs));
        }
        fixed (float* py = y, pp = probs, pq = q, pk = k, pv = v)
        {
            var ctx = new Ptrs(py, pp, pq, pk, pv, null, null, null);
            Run(batch * kvHeads, threads, TotalWork(lengths, batch, headSize, heads), task =>
                ForwardTask(ctx, task, starts, lengths, heads, kvHeads, headSize));
        }
    }

    /// <summary>
    /// Accumulates dq[N,H·HS], dk and dv [N,KVH·HS] from dy[N,H·HS], using the probabilities saved by
    /// <see cref="Forward"/>. With S = q kᵀ/√HS, P = softmax(S), dP = dy vᵀ:
    /// dv += Pᵀ dy, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dq += dS k/√HS, dk += dSᵀ q/√HS.
    /// </summary>
    public static void Backward(Span<float> dq, Span<float> dk, Span<float> dv, ReadOnlySpan<float> dy, ReadOnlySpan<float> probs,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int[] starts, int[] lengths, int batch, int heads, int kvHeads, int headSize, int threads)
    {
        Validate(heads, kvHeads);
        fixed (float* pdq = dq, pdk = dk, pdv = dv, pdy = dy, pp = probs, pq = q, pk = k, pv = v)
        {
            var ctx = new Ptrs(pdy, pp, pq, pk, pv, pdq, pdk, pdv);
            Run(batch * kvHeads, threads, 2 * TotalWork(lengths, batch, headSize, heads), task =>
                BackwardTask(ctx, task, starts, lengths, heads, kvHeads, headSize));
        }
    }

    /// <summary>
    /// Attention of n new query rows against a KV cache for one sequence. The cache rows [0, past+n) must
    /// already hold the keys and values of the new tokens. q and y are [n, H·HS]; kCache and vCache are
    /// [capacity, KVH·HS]. New row i sees cache rows 0..past+i.
    /// </summary>
    public static void ForwardCached(float* y, float* q, float* kCache, float* vCache, int past, int n, int heads, int kvHeads, int headSize)
    {
        var total = past + n;
        var scale = 1f / MathF.Sqrt(headSize);
        var qw = heads * headSize;
        var kw = kvHeads * headSize;
        var rep = heads / kvHeads;
        var scratch = Scratch((long)n * total * rep);
        fixed (float* s = scratch)
        {
            for (var g = 0; g < kvHeads; g++)
            {
                var kg = kCache + (g * headSize);
                var vg = vCache + (g * headSize);
                if (n == 1)
                {
                    // One new token: the rep query heads of the group are adjacent rows of length HS.
                    var qg = q + (g * rep * headSize);
                    Gemm.Sgemm(false, true, rep, total, headSize, scale, qg, headSize, kg, kw, 0f, s, total);
                    for (var r = 0; r < rep; r++)
                    {
                        var row = new Span<float>(s + (r * total), total);
                        Softmax(row);
                    }
                    Gemm.Sgemm(false, false, rep, headSize, total, 1f, s, total, vg, kw, 0f, y + (g * rep * headSize), headSize);
                    continue;
                }
                for (var r = 0; r < rep; r++)
                {
                    var h = (g * rep) + r;
                    Gemm.Sgemm(false, true, n, total, headSize, scale, q + (h * headSize), qw, kg, kw, 0f, s, total);
                    for (var i = 0; i < n; i++)
                    {
                        var visible = past + i + 1;
                        var row = new Span<float>(s + ((long)i * total), total);
                        Softmax(row[..visible]);
                        row[visible..].Clear();
                    }
                    Gemm.Sgemm(false, false, n, headSize, total, 1f, s, total, vg, kw, 0f, y + (h * headSize), qw);
                }
            }
        }
    }

    /// <summary>Naive float64 reference forward for one sequence of length L (rows 0..L−1).</summary>
    public static void ForwardNaive(Span<float> y, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int length, int heads, int kvHeads, int headSize)
    {
        var qw = heads * headSize;
        var kw = kvHeads * headSize;
        var rep = heads / kvHeads;
        var scale = 1.0 / Math.Sqrt(headSize);
        var w = new double[length];
        for (var h = 0; h < heads; h++)
        {
            var g = h / rep;
            for (var i = 0; i < length; i++)
            {
                var max = double.NegativeInfinity;
                for (var j = 0; j <= i; j++)
                {
                    double s = 0;
                    for (var d = 0; d < headSize; d++)
                    {
                        s += (double)q[(i * qw) + (h * headSize) + d] * k[(j * kw) + (g * headSize) + d];
                    }
                    w[j] = s * scale;
                    max = Math.Max(max, w[j]);
                }
                double sum = 0;
                for (var j = 0; j <= i; j++)
                {
                    w[j] = Math.Exp(w[j] - max);
                    sum += w[j];
                }
                for (var d = 0; d < headSize; d++)
                {
                    double acc = 0;
                    for (var j = 0; j <= i; j++)
                    {
                        acc += w[j] / sum * v[(j * kw) + (g * headSize) + d];
                    }
                    y[(i * qw) + (h * headSize) + d] = (float)acc;
                }
            }
        }
    }

    private static void ForwardTask(Ptrs p, int task, int[] starts, int[] lengths, int heads, int kvHeads, int headSize)
    {
        var b = task / kvHeads;
        var g = task % kvHeads;
        var l = lengths[b];
        if (l == 0)
        {
            return;
        }
        var rep = heads / kvHeads;
        var qw = heads * headSize;
        var kw = kvHeads * headSize;
        var scale = 1f / MathF.Sqrt(headSize);
        var probBase = ProbOffset(lengths, b, heads);
        var kg = p.K + ((long)starts[b] * kw) + (g * headSize);
        var vg = p.V + ((long)starts[b] * kw) + (g * headSize);
        for (var r = 0; r < rep; r++)
        {
            var h = (g * rep) + r;
            var qh = p.Q + ((long)starts[b] * qw) + (h * headSize);
            var yh = p.A + ((long)starts[b] * qw) + (h * headSize);
            var pr = p.P + probBase + ((long)h * l * l);
            Gemm.Sgemm(false, true, l, l, headSize, scale, qh, qw, kg, kw, 0f, pr, l);
            for (var i = 0; i < l; i++)
            {
                var row = new Span<float>(pr + ((long)i * l), l);
                Softmax(row[..(i + 1)]);
                row[(i + 1)..].Clear();
            }
            Gemm.Sgemm(false, false, l, headSize, l, 1f, pr, l, vg, kw, 0f, yh, qw);
        }
    }

    private static void BackwardTask(Ptrs p, int task, int[] starts, int[] lengths, int heads, int kvHeads, int headSize)
    {
        var b = task / kvHeads;
        var g = task % kvHeads;
        var l = lengths[b];
        if (l == 0)
        {
            return;
        }
        var rep = heads / kvHeads;
        var qw = heads * headSize;
        var kw = kvHeads * headSize;
        var scale = 1f / MathF.Sqrt(headSize);
        var probBase = ProbOffset(lengths, b, heads);
        var s0 = (long)starts[b];
        var kg = p.K + (s0 * kw) + (g * headSize);
        var vg = p.V + (s0 * kw) + (g * headSize);
        var dkg = p.DK + (s0 * kw) + (g * headSize);
        var dvg = p.DV + (s0 * kw) + (g * headSize);
        var scratch = Scratch((long)l * l);
        fixed (float* ds = scratch)
        {
            for (var r = 0; r < rep; r++)
            {
                var h = (g * rep) + r;
                var qh = p.Q + (s0 * qw) + (h * headSize);
                var dqh = p.DQ + (s0 * qw) + (h * headSize);
                var dyh = p.A + (s0 * qw) + (h * headSize);
                var pr = p.P + probBase + ((long)h * l * l);
                // dP = dy vᵀ  [L, L]
                Gemm.Sgemm(false, true, l, l, headSize, 1f, dyh, qw, vg, kw, 0f, ds, l);
                // dv += Pᵀ dy
                Gemm.Sgemm(true, false, l, headSize, l, 1f, pr, l, dyh, qw, 1f, dvg, kw);
                for (var i = 0; i < l; i++)
                {
                    var prow = new ReadOnlySpan<float>(pr + ((long)i * l), i + 1);
                    var drow = new Span<float>(ds + ((long)i * l), l);
                    var dot = TensorPrimitives.Dot(prow, drow[..(i + 1)]);
                    TensorPrimitives.Subtract(drow[..(i + 1)], dot, drow[..(i + 1)]);
                    TensorPrimitives.Multiply(drow[..(i + 1)], prow, drow[..(i + 1)]);
                    drow[(i + 1)..].Clear();
                }
                // dq += dS k · scale ; dk += dSᵀ q · scale
                Gemm.Sgemm(false, false, l, headSize, l, scale, ds, l, kg, kw, 1f, dqh, qw);
                Gemm.Sgemm(true, false, l, headSize, l, scale, ds, l, qh, qw, 1f, dkg, kw);
            }
        }
    }

    private static long ProbOffset(int[] lengths, int b, int heads)
    {
        long o = 0;
        for (var i = 0; i < b; i++)
        {
            o += (long)heads * lengths[i] * lengths[i];
        }
        return o;
    }

    private static long TotalWork(int[] lengths, int batch, int headSize, int heads)
    {
        long w = 0;
        for (var b = 0; b < batch; b++)
        {
            w += (long)lengths[b] * lengths[b] * headSize * heads;
        }
        return w;
    }

    private static void Run(int tasks, int threads, long work, Action<int> body)
    {
        if (threads <= 1 || tasks <= 1 || work < 200_000)
        {
            for (var t = 0; t < tasks; t++)
            {
                body(t);
            }
            return;
        }
        // Each task writes a disjoint slice, so the result does not depend on which thread runs it.
        Gemm.ParallelFor(tasks, body);
    }

    private static void Validate(int heads, int kvHeads)
    {
        if (kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw new ArgumentException($"attention heads ({heads}) must be a multiple of key/value heads ({kvHeads})");
        }
    }

    private static float[] Scratch(long size)
    {
        if (t_scratch is null || t_scratch.Length < size)
        {
            t_scratch = new float[Math.Max(size, 4096)];
        }
        return t_scratch;
    }

    /// <summary>Raw pointers shared with worker tasks (spans cannot be captured by lambdas). A is y or dy.</summary>
    private readonly struct Ptrs(float* a, float* p, float* q, float* k, float* v, float* dq, float* dk, float* dv)
    {
        public float* A { get; } = a;
        public float* P { get; } = p;
        public float* Q { get; } = q;
        public float* K { get; } = k;
        public float* V { get; } = v;
        public float* DQ { get; } = dq;
        public float* DK { get; } = dk;
        public float* DV { get; } = dv;
    }

    /// <summary>
    /// In-place softmax shifted by the row maximum. TensorPrimitives.SoftMax exponentiates the raw scores, which
    /// overflows to infinity (then NaN) once attention logits pass about 88 — reachable in training at high LR.
    /// </summary>
    private static void Softmax(Span<float> row)
    {
        if (row.IsEmpty)
        {
            return;
        }
        var max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
    }
}
