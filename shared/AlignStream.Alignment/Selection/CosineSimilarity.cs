using System.Numerics.Tensors;

namespace AlignStream.Alignment.Selection;

/// <summary>Cosine similarity helpers for RBoN-WD (ALGORITHMS.md §1.2, §1.6).</summary>
public static class CosineSimilarity
{
    /// <summary>
    /// cos(a, b); 0 when either vector is zero (an empty response), as §1.6 prescribes, so a zero vector
    /// is similar to nothing, itself included.
    /// </summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"embedding widths differ ({a.Length} vs {b.Length}).");
        }
        var na = TensorPrimitives.Norm(a);
        var nb = TensorPrimitives.Norm(b);
        if (na == 0 || nb == 0)
        {
            return 0.0;
        }
        return TensorPrimitives.Dot(a, b) / ((double)na * nb);
    }

    /// <summary>N×N matrix of pairwise cosines.</summary>
    public static double[][] Matrix(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var n = embeddings.Count;
        var m = new double[n][];
        for (var i = 0; i < n; i++)
        {
            m[i] = new double[n];
        }
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                var c = Cosine(embeddings[i], embeddings[j]);
                m[i][j] = c;
                m[j][i] = c;
            }
        }
        return m;
    }

    /// <summary>
    /// Mean over the rows of <paramref name="hidden"/> whose mask is non-zero, then L2-normalised
    /// (the default embedder's pooling). hidden: [T, d] row-major; mask: [T]. All-masked gives zeros.
    /// </summary>
    public static float[] MeanPoolNormalized(ReadOnlySpan<float> hidden, int width, ReadOnlySpan<float> mask)
    {
        if (width < 1 || hidden.Length != mask.Length * width)
        {
            throw new ArgumentException($"hidden has {hidden.Length} values; expected mask length {mask.Length} × width {width}.");
        }
        var sum = new float[width];
        var count = 0.0f;
        for (var t = 0; t < mask.Length; t++)
        {
            if (mask[t] == 0)
            {
                continue;
            }
            TensorPrimitives.MultiplyAdd(hidden.Slice(t * width, width), mask[t], sum, sum);
            count += mask[t];
        }
        if (count == 0)
        {
            return sum;
        }
        var norm = TensorPrimitives.Norm(sum);
        if (norm > 0)
        {
            TensorPrimitives.Divide(sum, norm, sum);
        }
        return sum;
    }
}
