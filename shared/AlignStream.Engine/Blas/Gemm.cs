namespace AlignStream.Engine.Blas;

/// <summary>
/// Single-precision matrix product used by every kernel: row-major
/// <c>C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C</c>. Routes to OpenBLAS or to
/// <see cref="ManagedGemm"/>. Both are bit-identical run to run for a fixed thread count because the
/// work split depends only on the shapes and the thread count.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// Row count up to which A·Bᵀ reads B in place (<see cref="SkinnyGemm"/>) instead of going through
    /// BLAS, which packs B first: decode steps, one row per sequence in the batch.
    /// </summary>
    public const int SkinnyRows = 32;

    /// <summary>The same bound where the FMA kernel is not available (the older dot-product kernel).</summary>
    private const int SkinnyRowsWithoutFma = 4;

    /// <summary>Multiply-adds (m·n·k) from which a product is split across threads.</summary>
    private const long SplitThreshold = 1L << 21;

    private static GemmBackend s_backend = GemmBackend.Auto;
    private static int s_threads = 1;

    /// <summary>True when the engine's packed AVX-512 GEMM is in use.</summary>
    public static bool UsesPacked => s_backend == GemmBackend.Auto && PackedGemm.IsSupported;

    /// <summary>True when the OpenBLAS path is in use.</summary>
    public static bool UsesOpenBlas => !UsesPacked && s_backend != GemmBackend.Managed && OpenBlas.IsAvailable;

    /// <summary>Name of the active implementation, for logs and the benchmark.</summary>
    public static string Describe() => UsesPacked
        ? $"packed avx-512 (8x32 tiles), split over {s_threads} threads"
        : UsesOpenBlas
            ? $"openblas ({OpenBlas.LibraryName}, {OpenBlas.CoreName ?? "unknown"} kernels, single-threaded calls split over {s_threads} threads)"
            : $"managed, {s_threads} threads";

    /// <summary>Current thread count.</summary>
    public static int Threads => s_threads;

    /// <summary>Selects the backend and thread count for the whole process (OpenBLAS has one global setting).</summary>
    public static void Configure(GemmBackend backend, int threads)
    {
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1; use the number of physical cores");
        }
        s_backend = backend;
        s_threads = threads;
        // OpenBLAS stays single-threaded: its workers spin-wait and split work statically, so one
        // descheduled worker stalls every call on a busy machine. The engine splits large products
        // itself (see SplitSgemm), where an idle caller simply takes the remaining pieces.
        if (OpenBlas.IsAvailable)
        {
            OpenBlas.SetThreads(1);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) on up to <see cref="Threads"/> .NET threads. Each index
    /// must write a disjoint output, so results do not depend on scheduling.
    /// </summary>
    public static void ParallelFor(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var threads = Math.Min(s_threads, count);
        if (threads <= 1)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>Span form with bounds checks; see the type summary for the meaning of the arguments.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        CheckOperand(a, transA ? k : m, transA ? m : k, lda, "A");
        CheckOperand(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckOperand(c, m, n, ldc, "C");
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary>Pointer form for kernels that have already checked their shapes.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (!transA && transB && m <= SkinnyRows && SkinnyGemm.IsSupported)
        {
            // Decode steps: a handful of rows against a weight matrix; BLAS would copy (pack) the weights first.
            SkinnyGemm.Multiply(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
        else if (!transA && !transB && m <= SkinnyRows && SkinnyGemm.IsSupported)
        {
            // Attention's probabilities times values at decode: B is read in place, row by row.
            SkinnyGemm.MultiplyNN(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
        else if (!transA && transB && m <= SkinnyRowsWithoutFma)
        {
            ManagedGemm.SkinnyNT(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
        else if (UsesPacked || UsesOpenBlas)
        {
            if (s_threads > 1 && (long)m * n * k >= SplitThreshold)
            {
                SplitSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
            else
            {
                Single(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
        }
        else
        {
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
    }

    /// <summary>
    /// Cuts C into 2·threads blocks of rows (or of columns when C is wide) and runs a single-threaded
    /// sgemm per block on the .NET pool. The cut depends only on the shapes and the thread count, and
    /// each element is computed by one call with the same k order, so results are reproducible.
    /// </summary>
    private static void SplitSgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var byRows = m >= n;
        var extent = byRows ? m : n;
        var pieces = Math.Min(2 * s_threads, Math.Max(1, extent / 16));
        var pa = (nint)a;
        var pb = (nint)b;
        var pc = (nint)c;
        Parallel.For(0, pieces, new ParallelOptions { MaxDegreeOfParallelism = s_threads }, piece =>
        {
            // Multiples of 16 keep blocks aligned to the kernels' register tiles.
            var lo = (int)((long)extent * piece / pieces) & ~15;
            var hi = piece == pieces - 1 ? extent : (int)((long)extent * (piece + 1) / pieces) & ~15;
            if (hi <= lo)
            {
                return;
            }
            if (byRows)
            {
                var ap = (float*)pa + (transA ? lo : (long)lo * lda);
                Single(transA, transB, hi - lo, n, k, alpha, ap, lda, (float*)pb, ldb, beta, (float*)pc + ((long)lo * ldc), ldc);
            }
            else
            {
                var bp = (float*)pb + (transB ? (long)lo * ldb : lo);
                Single(transA, transB, m, hi - lo, k, alpha, (float*)pa, lda, bp, ldb, beta, (float*)pc + lo, ldc);
            }
        });
    }

    /// <summary>One single-threaded product with the packed kernel or OpenBLAS, whichever is in use.</summary>
    private static void Single(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (UsesPacked)
        {
            PackedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /// <summary>C ← beta·C, with beta = 0 clearing C (so that NaN or garbage in C does not survive).</summary>
    internal static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            var row = new Span<float>(c + ((long)i * ldc), n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void CheckOperand(ReadOnlySpan<float> s, int rows, int cols, int ld, string name)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentException($"leading dimension of {name} is {ld} but a row holds {cols} values");
        }
        var need = rows == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (s.Length < need)
        {
            throw new ArgumentException($"{name} holds {s.Length} values but a {rows}x{cols} matrix with ld {ld} needs {need}");
        }
    }
}
