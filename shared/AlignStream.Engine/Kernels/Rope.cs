namespace AlignStream.Engine.Kernels;

/// <summary>
/// Rotary position embedding in the rotate_half convention of transformers' Llama: within each head
/// the first half of the channels pairs with the second half, x'[i] = x[i]·cos − x[i+h]·sin and
/// x'[i+h] = x[i+h]·cos + x[i]·sin.
/// </summary>
public static class Rope
{
    /// <summary>In place on x[N, heads·HS]; positions[N] index the table.</summary>
    public static void Forward(Span<float> x, ReadOnlySpan<int> positions, int heads, RopeTable table)
    {
        Rotate(x, positions, heads, table, 1f);
    }

    /// <summary>In place on dx[N, heads·HS]: the transpose of a rotation is the rotation by the opposite angle.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<int> positions, int heads, RopeTable table)
    {
        Rotate(dx, positions, heads, table, -1f);
    }

    private static void Rotate(Span<float> x, ReadOnlySpan<int> positions, int heads, RopeTable table, float sign)
    {
        var hs = table.HeadSize;
        var half = hs / 2;
        var width = heads * hs;
        for (var n = 0; n < positions.Length; n++)
        {
            var p = positions[n];
            if ((uint)p >= (uint)table.MaxPositions)
            {
                throw new ArgumentOutOfRangeException(nameof(positions), p, $"position {p} is beyond the rotary table ({table.MaxPositions}); raise max_position_embeddings or shorten the sequence");
            }
            var cos = table.Cos.AsSpan(p * half, half);
            var sin = table.Sin.AsSpan(p * half, half);
            var row = x.Slice(n * width, width);
            for (var h = 0; h < heads; h++)
            {
                var a = row.Slice(h * hs, half);
                var b = row.Slice((h * hs) + half, half);
                for (var i = 0; i < half; i++)
                {
                    var s = sign * sin[i];
                    var c = cos[i];
                    var x1 = a[i];
                    var x2 = b[i];
                    a[i] = (x1 * c) - (x2 * s);
                    b[i] = (x2 * c) + (x1 * s);
                }
            }
        }
    }

    /// <summary>Naive float64 reference that recomputes the angles from theta.</summary>
    public static void ForwardNaive(Span<float> x, ReadOnlySpan<int> positions, int heads, int headSize, double theta)
    {
        var half = headSize / 2;
        var width = heads * headSize;
        for (var n = 0; n < positions.Length; n++)
        {
            for (var h = 0; h < heads; h++)
            {
                var o = (n * width) + (h * headSize);
                for (var i = 0; i < half; i++)
                {
                    var angle = positions[n] / Math.Pow(theta, 2.0 * i / headSize);
                    double x1 = x[o + i], x2 = x[o + i + half];
                    x[o + i] = (float)((x1 * Math.Cos(angle)) - (x2 * Math.Sin(angle)));
                    x[o + i + half] = (float)((x2 * Math.Cos(angle)) + (x1 * Math.Sin(angle)));
                }
            }
        }
    }
}
