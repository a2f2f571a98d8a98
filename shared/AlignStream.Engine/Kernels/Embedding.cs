namespace AlignStream.Engine.Kernels;

/// <summary>Token embedding lookup and its scatter-add backward.</summary>
public static class Embedding
{
    /// <summary>output[N,C] = table[tokens[n], :]. table is [V,C].</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<int> tokens, ReadOnlySpan<float> table, int channels)
    {
        var vocab = table.Length / channels;
        for (var n = 0; n < tokens.Length; n++)
        {
            var t = tokens[n];
            if ((uint)t >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id at position {n} is outside the vocabulary of {vocab}");
            }
            table.Slice(t * channels, channels).CopyTo(output.Slice(n * channels, channels));
        }
    }

    /// <summary>dTable[tokens[n], :] += dOutput[n, :]; rows are visited in order so repeated tokens sum deterministically.</summary>
    public static void Backward(Span<float> dTable, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> tokens, int channels)
    {
        for (var n = 0; n < tokens.Length; n++)
        {
            var row = dTable.Slice(tokens[n] * channels, channels);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dOutput.Slice(n * channels, channels), row);
        }
    }
}
