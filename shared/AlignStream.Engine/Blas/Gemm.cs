namespace AlignStream.Engine.Blas;

/// <summary>
/// Single-precision matrix product used by every kernel: row-major
/// <c>C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C</c>. Routes to OpenBLAS or to
/// <see cref="ManagedGemm"/>. Both are bit-identical run to run for a fixed thread count because the
/// work split depends only on the shapes and the thread count.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Row count up to which A·Bᵀ uses the skinny kernel instead of BLAS.</summary>
    public const int SkinnyRows = 4;

    private static GemmBackend s_backend = GemmBackend.Auto;
    private static int s_threads = 1;

    /// <summary>True when the OpenBLAS path is in use.</summary>
    public static bool UsesOpenBlas => s_backend == GemmBackend.Auto && OpenBlas.IsAvailable;

    /// <summary>Name of the active implementation, for logs and the benchmark.</summary>
    public static string Describe() => UsesOpenBlas ? $"openblas ({OpenBlas.LibraryName}), {s_threads} threads" : $"managed, {s_threads} threads";

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
        if (OpenBlas.IsAvailable)
        {
            OpenBlas.SetThreads(threads);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) on up to <see cref="Threads"/> .NET threads with BLAS
    /// single-threaded meanwhile: OpenBLAS's own worker threads spin, and two callers each asking for
    /// all cores would fight over them. Each index must write a disjoint output, so results do not depend
    /// on scheduling.
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
        if (OpenBlas.IsAvailable)
        {
            OpenBlas.SetThreads(1);
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
        }
        finally
        {
            if (OpenBlas.IsAvailable)
            {
                OpenBlas.SetThreads(s_threads);
            }
        }
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
        if (!transA && transB && m <= SkinnyRows)
        {
            // Decode steps: a handful of rows against a weight matrix; BLAS would copy (pack) the weights first.
            ManagedGemm.SkinnyNT(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
        else if (UsesOpenBlas)
        {
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s_threads);
        }
    }

    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
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
