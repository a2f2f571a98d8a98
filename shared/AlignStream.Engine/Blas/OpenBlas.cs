using System.Runtime.InteropServices;

namespace AlignStream.Engine.Blas;

/// <summary>
/// The only place the engine talks to native code: <c>cblas_sgemm</c> and <c>openblas_set_num_threads</c>
/// from the distro's OpenBLAS, resolved at run time so a machine without the library falls back to
/// the managed GEMM instead of failing to start.
/// </summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    // Debian's libopenblas0-pthread installs libopenblas.so.0; "openblas" covers other layouts.
    private static readonly string[] s_candidates = ["libopenblas.so.0", "openblas", "libopenblas.so"];

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setThreads;

    static OpenBlas()
    {
        foreach (var name in s_candidates)
        {
            if (!NativeLibrary.TryLoad(name, typeof(OpenBlas).Assembly, null, out var handle))
            {
                continue;
            }
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var gemm))
            {
                s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)gemm;
                if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var threads))
                {
                    s_setThreads = (delegate* unmanaged<int, void>)threads;
                    // Single-threaded from the first call on, whether or not the host ever calls Gemm.Configure:
                    // left at its default (one worker per core), every call from a busy thread spins its caller
                    // in sched_yield while the workers run, which on a shared machine costs more CPU than the product.
                    s_setThreads(1);
                }
                if (NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var core))
                {
                    CoreName = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)core)());
                }
                LibraryName = name;
                return;
            }
        }
    }

    /// <summary>True when <c>cblas_sgemm</c> was found.</summary>
    public static bool IsAvailable => s_sgemm != null;

    /// <summary>The name the library was loaded under, or null.</summary>
    public static string? LibraryName { get; }

    /// <summary>
    /// The kernel family OpenBLAS chose for this CPU (for example "Cooperlake" or "Haswell"), or null; the
    /// environment variable OPENBLAS_CORETYPE overrides its choice, and the benchmark reports it.
    /// </summary>
    public static string? CoreName { get; }

    /// <summary>OpenBLAS keeps one process-wide thread count; a library without the export keeps its own.</summary>
    public static void SetThreads(int threads)
    {
        if (s_setThreads != null)
        {
            s_setThreads(threads);
        }
    }

    /// <summary>Row-major C[m,n] = alpha op(A)[m,k] op(B)[k,n] + beta C.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        s_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
