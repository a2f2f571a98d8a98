namespace AlignStream.Engine.Blas;

/// <summary>Which implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS when the library loads, else the managed SIMD GEMM.</summary>
    Auto,

    /// <summary>Always the managed SIMD GEMM (tests, machines without OpenBLAS).</summary>
    Managed,
}
