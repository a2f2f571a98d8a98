using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlignStream.Engine.Blas;

/// <summary>
/// A packed, cache-blocked SGEMM for CPUs with AVX-512, after the usual Goto/BLIS structure: op(B) is
/// packed in blocks of <see cref="Kc"/> × <see cref="Nc"/> into 32-column strips, op(A) in blocks of
/// <see cref="Mc"/> × Kc into 8-row strips (alpha folded in), and an 8 × 32 register tile of sixteen
/// 512-bit FMA accumulators runs over each pair of strips, with a B strip held in L1 while the A block
/// streams from L2.
/// <para>
/// Why the engine has it: on the machines this project runs on, OpenBLAS runs its AVX2 kernels (the
/// environment pins <c>OPENBLAS_CORETYPE</c>), which leave half of a 512-bit FMA unit idle. Each element
/// of C sums its k blocks in order, each block in k order, so results depend only on the shapes, never
/// on the thread split; callers split C into row or column ranges.
/// </para>
/// </summary>
internal static unsafe class PackedGemm
{
    private const int Mr = 8;
    private const int Nr = 32;
    private const int Kc = 256;
    private const int Mc = 128;
    private const int Nc = 1024;

    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    /// <summary>True where 512-bit vectors run in hardware.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>C[m,n] = alpha·op(A)·op(B) + beta·C on the calling thread.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (beta != 1f)
        {
            Gemm.ScaleC(m, n, beta, c, ldc);
        }
        t_packA ??= GC.AllocateUninitializedArray<float>(Mc * Kc, pinned: true);
        t_packB ??= GC.AllocateUninitializedArray<float>(Nc * Kc, pinned: true);
        fixed (float* packA = t_packA)
        fixed (float* packB = t_packB)
        {
            for (var jc = 0; jc < n; jc += Nc)
            {
                var nc = Math.Min(Nc, n - jc);
                for (var pc = 0; pc < k; pc += Kc)
                {
                    var kc = Math.Min(Kc, k - pc);
                    PackB(transB, b, ldb, pc, kc, jc, nc, packB);
                    for (var ic = 0; ic < m; ic += Mc)
                    {
                        var mc = Math.Min(Mc, m - ic);
                        PackA(transA, a, lda, alpha, ic, mc, pc, kc, packA);
                        Block(packA, packB, mc, nc, kc, c + ((long)ic * ldc) + jc, ldc);
                    }
                }
            }
        }
    }

    /// <summary>C[mc, nc] += packed A block · packed B block.</summary>
    private static void Block(float* packA, float* packB, int mc, int nc, int kc, float* c, int ldc)
    {
        var edge = stackalloc float[Mr * Nr];
        for (var jr = 0; jr < nc; jr += Nr)
        {
            var cols = Math.Min(Nr, nc - jr);
            var pb = packB + ((long)jr * kc);
            for (var ir = 0; ir < mc; ir += Mr)
            {
                var rows = Math.Min(Mr, mc - ir);
                var pa = packA + ((long)ir * kc);
                var ct = c + ((long)ir * ldc) + jr;
                if (rows == Mr && cols == Nr)
                {
                    Kernel(kc, pa, pb, ct, ldc);
                    continue;
                }
                // A partial tile runs in a scratch tile, then only its valid part is added.
                new Span<float>(edge, Mr * Nr).Clear();
                Kernel(kc, pa, pb, edge, Nr);
                for (var r = 0; r < rows; r++)
                {
                    for (var j = 0; j < cols; j++)
                    {
                        ct[((long)r * ldc) + j] += edge[(r * Nr) + j];
                    }
                }
            }
        }
    }

    /// <summary>op(A)[ic.., pc..] into 8-row strips, p-major within a strip, scaled by alpha, zero-padded.</summary>
    private static void PackA(bool transA, float* a, int lda, float alpha, int ic, int mc, int pc, int kc, float* dst)
    {
        for (var ir = 0; ir < mc; ir += Mr)
        {
            var rows = Math.Min(Mr, mc - ir);
            var strip = dst + ((long)ir * kc);
            if (transA)
            {
                // op(A)[i, p] = A[p, i]: the strip's rows are contiguous in memory for each p.
                for (var p = 0; p < kc; p++)
                {
                    var src = a + ((long)(pc + p) * lda) + ic + ir;
                    var o = strip + (p * Mr);
                    if (rows == Mr)
                    {
                        Vector256.Store(Vector256.Load(src) * alpha, o);
                    }
                    else
                    {
                        for (var r = 0; r < Mr; r++)
                        {
                            o[r] = r < rows ? alpha * src[r] : 0f;
                        }
                    }
                }
            }
            else if (rows == Mr)
            {
                // Eight rows, each contiguous in p: 8 × 8 blocks transposed in registers.
                var src = a + ((long)(ic + ir) * lda) + pc;
                var p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(src + p, lda, strip + (p * Mr), Mr, alpha);
                }
                for (; p < kc; p++)
                {
                    for (var r = 0; r < Mr; r++)
                    {
                        strip[(p * Mr) + r] = alpha * src[((long)r * lda) + p];
                    }
                }
            }
            else
            {
                for (var r = 0; r < Mr; r++)
                {
                    var src = a + ((long)(ic + ir + r) * lda) + pc;
                    for (var p = 0; p < kc; p++)
                    {
                        strip[(p * Mr) + r] = r < rows ? alpha * src[p] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>op(B)[pc.., jc..] into 32-column strips, p-major within a strip, zero-padded.</summary>
    private static void PackB(bool transB, float* b, int ldb, int pc, int kc, int jc, int nc, float* dst)
    {
        for (var jr = 0; jr < nc; jr += Nr)
        {
            var cols = Math.Min(Nr, nc - jr);
            var strip = dst + ((long)jr * kc);
            if (!transB)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = b + ((long)(pc + p) * ldb) + jc + jr;
                    var o = strip + (p * Nr);
                    if (cols == Nr)
                    {
                        Vector512.Store(Vector512.Load(src), o);
                        Vector512.Store(Vector512.Load(src + 16), o + 16);
                    }
                    else
                    {
                        for (var j = 0; j < Nr; j++)
                        {
                            o[j] = j < cols ? src[j] : 0f;
                        }
                    }
                }
            }
            else
            {
                // op(B)[p, j] = B[j, p]: B rows are contiguous in p, so 8 × 8 blocks are transposed in registers.
                var j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    var src = b + ((long)(jc + jr + j) * ldb) + pc;
                    var p = 0;
                    for (; p + 8 <= kc; p += 8)
                    {
                        Transpose8x8(src + p, ldb, strip + (p * Nr) + j, Nr, 1f);
                    }
                    for (; p < kc; p++)
                    {
                        for (var q = 0; q < 8; q++)
                        {
                            strip[(p * Nr) + j + q] = src[((long)q * ldb) + p];
                        }
                    }
                }
                for (; j < Nr; j++)
                {
                    var src = b + ((long)(jc + jr + j) * ldb) + pc;
                    for (var p = 0; p < kc; p++)
                    {
                        strip[(p * Nr) + j] = j < cols ? src[p] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>dst[q, r] = scale · src[r, q] for an 8 × 8 block (rows of src <paramref name="ld"/> apart, of dst <paramref name="dstStride"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long ld, float* dst, int dstStride, float scale)
    {
        var r0 = Vector256.Load(src);
        var r1 = Vector256.Load(src + ld);
        var r2 = Vector256.Load(src + (2 * ld));
        var r3 = Vector256.Load(src + (3 * ld));
        var r4 = Vector256.Load(src + (4 * ld));
        var r5 = Vector256.Load(src + (5 * ld));
        var r6 = Vector256.Load(src + (6 * ld));
        var r7 = Vector256.Load(src + (7 * ld));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        var s = Vector256.Create(scale);
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x20) * s, dst);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x20) * s, dst + dstStride);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x20) * s, dst + (2 * dstStride));
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x20) * s, dst + (3 * dstStride));
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x31) * s, dst + (4 * dstStride));
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x31) * s, dst + (5 * dstStride));
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x31) * s, dst + (6 * dstStride));
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x31) * s, dst + (7 * dstStride));
    }

    /// <summary>C[8, 32] += A strip · B strip over kc: sixteen accumulators, two B loads and eight broadcasts per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += Mr;
            b += Nr;
        }
        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + (2L * ldc), c20, c21);
        AddRow(c + (3L * ldc), c30, c31);
        AddRow(c + (4L * ldc), c40, c41);
        AddRow(c + (5L * ldc), c50, c51);
        AddRow(c + (6L * ldc), c60, c61);
        AddRow(c + (7L * ldc), c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* c, Vector512<float> lo, Vector512<float> hi)
    {
        Vector512.Store(Vector512.Load(c) + lo, c);
        Vector512.Store(Vector512.Load(c + 16) + hi, c + 16);
    }
}
