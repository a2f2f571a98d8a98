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
