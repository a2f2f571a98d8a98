using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlignStream.Engine.Blas;

/// <summary>
/// C[m,n] = alpha·A[m,k]·B[n,k]ᵀ + beta·C for the few rows of a decode step (one row per sequence in
/// the batch) against a weight matrix in PyTorch's [out, in] layout.
/// <para>
/// BLAS packs (copies) B on every call. At decode the product reads each weight a handful of times, so
/// that copy costs as much as the arithmetic, and the weights of a larger model stream from memory
/// rather than cache. Here B is read in place, three rows (outputs) at a time, while the A rows stay
/// in cache: a 4 × 3 register tile of eight-wide FMA accumulators covers four A rows and three B rows,
/// and while one B tile is multiplied with every group of four A rows, the next B tile is prefetched,
/// so memory traffic overlaps the arithmetic instead of stalling it.
/// </para>
/// <para>
/// Every output is computed the same way wherever it falls (full tile, leftover row or column):
/// eight-lane (sixteen-lane with AVX-512) FMA accumulation over k in order, one horizontal sum, then
/// the remaining tail with scalar FMA. An output therefore does not depend on the other rows in the batch, on the column split
/// between threads, or on the thread count: a sequence samples the same tokens whatever it shares a
/// decode step with.
/// </para>
/// </summary>
internal static unsafe class SkinnyGemm
{
    private const int Mr = 4;
    private const int Nr = 3;
    private const int Width = 8;

    /// <summary>Sixteen-lane tiles where 512-bit vectors run in hardware; every path of one process uses the same width.</summary>
    private static readonly bool s_wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>True where the kernel runs in hardware (x86 with FMA); callers fall back otherwise.</summary>
    public static bool IsSupported => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>Multiply-adds (m·n·k) below which one thread does the whole product.</summary>
    private const long SplitThreshold = 1L << 18;

    public static void Multiply(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var work = (long)m * n * k;
        var parts = work < SplitThreshold ? 1 : Math.Min(threads, Math.Max(1, n / (8 * Nr)));
        if (parts <= 1)
        {
            Columns(0, n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var (aL, bL, cL) = ((nint)a, (nint)b, (nint)c);
        SplitColumns(n, parts, Nr, (lo, hi) => Columns(lo, hi, m, k, alpha, (float*)aL, lda, (float*)bL, ldb, beta, (float*)cL, ldc));
    }

    /// <summary>
    /// C[m,n] = alpha·A[m,k]·B[k,n] + beta·C for few rows (attention's probabilities times values at
    /// decode): each C row accumulates a[i,p]·B[p,:] over p in order, four vectors of columns at a time, so
    /// B is read in place and every output is one FMA chain over p, the same in any grouping.
    /// </summary>
    public static void MultiplyNN(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var work = (long)m * n * k;
        var parts = work < SplitThreshold ? 1 : Math.Min(threads, Math.Max(1, n / 64));
        if (parts <= 1)
        {
            RowsNN(0, n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var (aL, bL, cL) = ((nint)a, (nint)b, (nint)c);
        SplitColumns(n, parts, 16, (lo, hi) => RowsNN(lo, hi, m, k, alpha, (float*)aL, lda, (float*)bL, ldb, beta, (float*)cL, ldc));
    }

    /// <summary>
    /// Runs <paramref name="columns"/> over <paramref name="parts"/> ranges of [0, n) in parallel, cut on multiples of
    /// <paramref name="align"/> so every part's tiles are full. The values would be the same with any cut, since each
    /// output is computed independently of its neighbours.
    /// </summary>
    private static void SplitColumns(int n, int parts, int align, Action<int, int> columns) =>
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var lo = (int)((long)n * part / parts) / align * align;
            var hi = part == parts - 1 ? n : (int)((long)n * (part + 1) / parts) / align * align;
            columns(lo, hi);
        });

    private static void RowsNN(int lo, int hi, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        const int Block = 4 * Width;
        for (var i = 0; i < m; i++)
        {
            var ai = a + ((long)i * lda);
            var ci = c + ((long)i * ldc);
            var j = lo;
            for (; j + Block <= hi; j += Block)
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += ldb)
                {
                    var x = Vector256.Create(ai[p]);
                    s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), s0);
                    s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + Width), s1);
                    s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + (2 * Width)), s2);
                    s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + (3 * Width)), s3);
                }
                StoreNN(ci + j, s0, alpha, beta);
                StoreNN(ci + j + Width, s1, alpha, beta);
                StoreNN(ci + j + (2 * Width), s2, alpha, beta);
                StoreNN(ci + j + (3 * Width), s3, alpha, beta);
            }
            for (; j + Width <= hi; j += Width)
            {
                var s0 = Vector256<float>.Zero;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += ldb)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Create(ai[p]), Vector256.Load(bp), s0);
                }
                StoreNN(ci + j, s0, alpha, beta);
            }
            for (; j < hi; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum = MathF.FusedMultiplyAdd(ai[p], b[((long)p * ldb) + j], sum);
                }
                ci[j] = Store(alpha, sum, beta, ci[j]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNN(float* c, Vector256<float> sum, float alpha, float beta)
    {
        var r = sum * alpha;
        if (beta != 0f)
        {
            r += Vector256.Load(c) * beta;
        }
        Vector256.Store(r, c);
    }

    /// <summary>Columns [lo, hi) of C with the widest vectors the hardware runs.</summary>
    private static void Columns(int lo, int hi, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (s_wide)
        {
            Columns<Lanes512, Vector512<float>>(lo, hi, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            Columns<Lanes256, Vector256<float>>(lo, hi, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /// <summary>Columns [lo, hi) of C: tiles of three B rows, each against every group of four A rows.</summary>
    private static void Columns<TL, TV>(int lo, int hi, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        where TL : struct, ILanes<TV>
        where TV : struct
    {
        var groups = m / Mr;
        var calls = groups + (m % Mr);
        var j = lo;
        for (; j + Nr <= hi; j += Nr)
        {
            var tile = b + ((long)j * ldb);
            // The next tile's three rows are prefetched during this tile's calls, one row per call in turn.
            var ahead = Math.Min(Nr, hi - (j + Nr));
            var next = tile + ((long)Nr * ldb);
            var call = 0;
            for (var g = 0; g < groups; g++, call++)
            {
                var i = g * Mr;
                Tile4x3<TL, TV>(a + ((long)i * lda), lda, tile, ldb, k, alpha, beta, c + ((long)i * ldc) + j, ldc,
                    PrefetchRow(next, ldb, ahead, call, calls, 0), PrefetchRow(next, ldb, ahead, call, calls, 1), PrefetchRow(next, ldb, ahead, call, calls, 2));
            }
            for (var i = groups * Mr; i < m; i++, call++)
            {
                Tile1x3<TL, TV>(a + ((long)i * lda), tile, ldb, k, alpha, beta, c + ((long)i * ldc) + j,
                    PrefetchRow(next, ldb, ahead, call, calls, 0), PrefetchRow(next, ldb, ahead, call, calls, 1), PrefetchRow(next, ldb, ahead, call, calls, 2));
            }
        }
        for (; j < hi; j++)
        {
            var bj = b + ((long)j * ldb);
            for (var i = 0; i < m; i++)
            {
                var ci = c + ((long)i * ldc) + j;
                *ci = Store(alpha, Dot<TL, TV>(a + ((long)i * lda), bj, k), beta, *ci);
            }
        }
    }

    /// <summary>
    /// Which next-tile row call <paramref name="call"/> prefetches in its slot <paramref name="slot"/>:
    /// rows are dealt round-robin over the calls, so with one call that call takes all three.
    /// </summary>
    private static float* PrefetchRow(float* next, int ldb, int ahead, int call, int calls, int slot)
    {
        var row = call + (slot * calls);
        return row < ahead ? next + ((long)row * ldb) : null;
    }

    /// <summary>One prefetch per 64-byte line (16 floats) of a next-tile row this call owns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* row, int p)
    {
        if (row != null && (p & 15) == 0)
        {
            Sse.Prefetch0(row + p);
        }
    }

    private static void Tile4x3<TL, TV>(float* a, int lda, float* b, int ldb, int k, float alpha, float beta, float* c, int ldc, float* f0, float* f1, float* f2)
        where TL : struct, ILanes<TV>
        where TV : struct
    {
        TV c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        TV c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        float* b0 = b, b1 = b + ldb, b2 = b1 + ldb;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        var p = 0;
        for (; p + TL.Count <= k; p += TL.Count)
        {
            Prefetch(f0, p);
            Prefetch(f1, p);
            Prefetch(f2, p);
            var w0 = TL.Load(b0 + p);
            var w1 = TL.Load(b1 + p);
            var w2 = TL.Load(b2 + p);
            var x = TL.Load(a0 + p);
            c00 = TL.Fma(x, w0, c00);
            c01 = TL.Fma(x, w1, c01);
            c02 = TL.Fma(x, w2, c02);
            x = TL.Load(a1 + p);
            c10 = TL.Fma(x, w0, c10);
            c11 = TL.Fma(x, w1, c11);
            c12 = TL.Fma(x, w2, c12);
            x = TL.Load(a2 + p);
            c20 = TL.Fma(x, w0, c20);
            c21 = TL.Fma(x, w1, c21);
            c22 = TL.Fma(x, w2, c22);
            x = TL.Load(a3 + p);
            c30 = TL.Fma(x, w0, c30);
            c31 = TL.Fma(x, w1, c31);
            c32 = TL.Fma(x, w2, c32);
        }
        Finish(a0, b0, b1, b2, p, k, alpha, beta, c, TL.Sum(c00), TL.Sum(c01), TL.Sum(c02));
        Finish(a1, b0, b1, b2, p, k, alpha, beta, c + ldc, TL.Sum(c10), TL.Sum(c11), TL.Sum(c12));
        Finish(a2, b0, b1, b2, p, k, alpha, beta, c + (2 * ldc), TL.Sum(c20), TL.Sum(c21), TL.Sum(c22));
        Finish(a3, b0, b1, b2, p, k, alpha, beta, c + (3 * ldc), TL.Sum(c30), TL.Sum(c31), TL.Sum(c32));
    }

    private static void Tile1x3<TL, TV>(float* a, float* b, int ldb, int k, float alpha, float beta, float* c, float* f0, float* f1, float* f2)
        where TL : struct, ILanes<TV>
        where TV : struct
    {
        TV c0 = default, c1 = default, c2 = default;
        float* b0 = b, b1 = b + ldb, b2 = b1 + ldb;
        var p = 0;
        for (; p + TL.Count <= k; p += TL.Count)
        {
            Prefetch(f0, p);
            Prefetch(f1, p);
            Prefetch(f2, p);
            var x = TL.Load(a + p);
            c0 = TL.Fma(x, TL.Load(b0 + p), c0);
            c1 = TL.Fma(x, TL.Load(b1 + p), c1);
            c2 = TL.Fma(x, TL.Load(b2 + p), c2);
        }
        Finish(a, b0, b1, b2, p, k, alpha, beta, c, TL.Sum(c0), TL.Sum(c1), TL.Sum(c2));
    }

    /// <summary>One output row of a tile: the tail beyond the last full vector, then alpha and beta.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* a, float* b0, float* b1, float* b2, int p, int k, float alpha, float beta, float* c,
        float s0, float s1, float s2)
    {
        c[0] = Store(alpha, Tail(a, b0, p, k, s0), beta, c[0]);
        c[1] = Store(alpha, Tail(a, b1, p, k, s1), beta, c[1]);
        c[2] = Store(alpha, Tail(a, b2, p, k, s2), beta, c[2]);
    }

    /// <summary>A single output, with exactly the arithmetic of a tile's.</summary>
    private static float Dot<TL, TV>(float* a, float* b, int k)
        where TL : struct, ILanes<TV>
        where TV : struct
    {
        TV s = default;
        var p = 0;
        for (; p + TL.Count <= k; p += TL.Count)
        {
            s = TL.Fma(TL.Load(a + p), TL.Load(b + p), s);
        }
        return Tail(a, b, p, k, TL.Sum(s));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* a, float* b, int p, int k, float sum)
    {
        for (; p < k; p++)
        {
            sum = MathF.FusedMultiplyAdd(a[p], b[p], sum);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Store(float alpha, float dot, float beta, float old) => beta == 0f ? alpha * dot : (alpha * dot) + (beta * old);
}

/// <summary>The vector operations the decode tiles need, for one vector width; the JIT specializes the tiles per width.</summary>
internal unsafe interface ILanes<TV>
    where TV : struct
{
    static abstract int Count { get; }

    static abstract TV Load(float* p);

    static abstract TV Fma(TV a, TV b, TV c);

    static abstract float Sum(TV v);
}

/// <summary>Eight float lanes (AVX).</summary>
internal readonly unsafe struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);
}

/// <summary>Sixteen float lanes (AVX-512).</summary>
internal readonly unsafe struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);
}
