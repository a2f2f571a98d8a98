namespace AlignStream.Engine.Blas;

/// <summary>Which implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend
{
    /// <summary>
    /// The fastest this machine has: the engine's packed AVX-512 GEMM where 512-bit vectors run in
    /// hardware, else OpenBLAS when the library loads, else the managed SIMD GEMM.
    /// </summary>
    Auto,

    /// <summary>Always the managed SIMD GEMM (tests, machines without OpenBLAS).</summary>
    Managed,

    /// <summary>OpenBLAS when the library loads (else the managed SIMD GEMM), even where the packed AVX-512 GEMM would run.</summary>
    OpenBlas,
}
