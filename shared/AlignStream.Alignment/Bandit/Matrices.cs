using System.Numerics.Tensors;

namespace AlignStream.Alignment.Bandit;

/// <summary>Small dense row-major matrix helpers for the bandit (d is at most a few thousand, used off the hot path).</summary>
public static class Matrices
{
    /// <summary>Inverse of a row-major d×d matrix by Gauss–Jordan with partial pivoting.</summary>
    public static double[] Invert(ReadOnlySpan<double> matrix, int d)
    {
        if (matrix.Length != d * d)
        {
            throw new ArgumentException($"matrix has {matrix.Length} entries; expected {d}x{d}.", nameof(matrix));
        }
        var a = matrix.ToArray();
        var inv = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            inv[(i * d) + i] = 1.0;
        }
        for (var c = 0; c < d; c++)
        {
            var p = c;
            for (var r = c + 1; r < d; r++)
            {
                if (Math.Abs(a[(r * d) + c]) > Math.Abs(a[(p * d) + c]))
                {
                    p = r;
                }
            }
            if (a[(p * d) + c] == 0)
            {
                throw new InvalidOperationException("matrix is singular.");
            }
            SwapRows(a, d, c, p);
            SwapRows(inv, d, c, p);
            var pivot = a[(c * d) + c];
            var pivotA = a.AsSpan(c * d, d);
            var pivotInv = inv.AsSpan(c * d, d);
            TensorPrimitives.Divide(pivotA, pivot, pivotA);
            TensorPrimitives.Divide(pivotInv, pivot, pivotInv);
            for (var r = 0; r < d; r++)
            {
                var f = a[(r * d) + c];
                if (r == c || f == 0)
                {
                    continue;
                }
                // Row r −= f · row c, element for element as the scalar form (x·(−f) + y is y − f·x exactly).
                var rowA = a.AsSpan(r * d, d);
                var rowInv = inv.AsSpan(r * d, d);
                TensorPrimitives.MultiplyAdd(pivotA, -f, rowA, rowA);
                TensorPrimitives.MultiplyAdd(pivotInv, -f, rowInv, rowInv);
            }
        }
        return inv;
    }

    /// <summary>
    /// The inverse of <paramref name="newMatrix"/> from the known inverse of <paramref name="oldMatrix"/> when the
    /// two differ by a sum of at most <paramref name="maxRank"/> outer products x·xᵀ (what LinUCB feedback adds):
    /// the difference is split into rank-1 terms by pivoted Cholesky, then each term is applied by Sherman–Morrison,
    /// O(r·d²) instead of an O(d³) inversion. Returns null when the difference is not of that form (negative
    /// diagonal, higher rank, or a remainder above <paramref name="tolerance"/> relative to its largest diagonal),
    /// and the caller inverts in full.
    /// </summary>
    public static double[]? UpdateInverse(ReadOnlySpan<double> oldInverse, ReadOnlySpan<double> oldMatrix, ReadOnlySpan<double> newMatrix, int d,
        int maxRank, double tolerance = 1e-9)
    {
        if (oldInverse.Length != d * d || oldMatrix.Length != d * d || newMatrix.Length != d * d)
        {
            throw new ArgumentException($"matrices must have {d}x{d} entries.");
        }
        var delta = new double[d * d];
        TensorPrimitives.Subtract(newMatrix, oldMatrix, delta);
        var diagonal = new double[d];
        var scale = 0.0;
        for (var i = 0; i < d; i++)
        {
            diagonal[i] = delta[(i * d) + i];
            scale = Math.Max(scale, Math.Abs(diagonal[i]));
        }
        var inverse = oldInverse.ToArray();
        if (scale == 0)
        {
            return inverse;
        }
        var limit = tolerance * scale;
        var u = new double[d];
        for (var rank = 0; ; rank++)
        {
            var pivot = 0;
            for (var i = 1; i < d; i++)
            {
                if (diagonal[i] > diagonal[pivot])
                {
                    pivot = i;
                }
            }
            if (diagonal[pivot] <= limit)
            {
                // Done: whatever is left must be noise, also off the diagonal and below zero.
                for (var i = 0; i < d; i++)
                {
                    if (diagonal[i] < -limit)
                    {
                        return null;
                    }
                }
                return TensorPrimitives.MaxMagnitude(delta) <= limit ? inverse : null;
            }
            if (rank == maxRank)
            {
                return null;
            }
            // x = delta[:, pivot] / sqrt(delta[pivot, pivot]); delta -= x·xᵀ.
            var x = new double[d];
            var root = Math.Sqrt(diagonal[pivot]);
            for (var i = 0; i < d; i++)
            {
                x[i] = delta[(i * d) + pivot] / root;
            }
            for (var i = 0; i < d; i++)
            {
                var row = delta.AsSpan(i * d, d);
                TensorPrimitives.MultiplyAdd(x, -x[i], row, row);
                diagonal[i] = delta[(i * d) + i];
            }
            // Sherman–Morrison: A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), A⁻¹ symmetric.
            for (var i = 0; i < d; i++)
            {
                u[i] = TensorPrimitives.Dot(inverse.AsSpan(i * d, d), x);
            }
            var denominator = 1.0 + TensorPrimitives.Dot(x, u);
            if (!(denominator > 0))
            {
                return null;
            }
            for (var i = 0; i < d; i++)
            {
                var row = inverse.AsSpan(i * d, d);
                TensorPrimitives.MultiplyAdd(u, -u[i] / denominator, row, row);
            }
        }
    }

    /// <summary>y = M·x for row-major d×d M.</summary>
    public static double[] Multiply(ReadOnlySpan<double> m, ReadOnlySpan<double> x)
    {
        var d = x.Length;
        var y = new double[d];
        for (var i = 0; i < d; i++)
        {
            y[i] = TensorPrimitives.Dot(m.Slice(i * d, d), x);
        }
        return y;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => TensorPrimitives.Dot(a, b);

    private static void SwapRows(double[] m, int d, int r1, int r2)
    {
        if (r1 == r2)
        {
            return;
        }
        for (var j = 0; j < d; j++)
        {
            (m[(r1 * d) + j], m[(r2 * d) + j]) = (m[(r2 * d) + j], m[(r1 * d) + j]);
        }
    }
}
