namespace AlignStream.Engine.Kernels;

/// <summary>
/// Precomputed rotary angles for positions [0, maxPositions) and head size HS, in transformers'
/// float32 recipe: inv_freq[i] = 1 / theta^(2i/HS), angle = pos · inv_freq[i] rounded to float32,
/// then cos and sin of that float32 angle. Layout [pos, HS/2].
/// </summary>
public sealed class RopeTable
{
    /// <summary>Builds the table.</summary>
    public RopeTable(int maxPositions, int headSize, float theta)
    {
        if (headSize % 2 != 0)
        {
            throw new ArgumentException($"head size {headSize} must be even for rotary embeddings", nameof(headSize));
        }
        MaxPositions = maxPositions;
        HeadSize = headSize;
        var half = headSize / 2;
        Cos = new float[maxPositions * half];
        Sin = new float[maxPositions * half];
        var invFreq = new float[half];
        for (var i = 0; i < half; i++)
        {
            var exponent = (float)(2 * i) / headSize;
            invFreq[i] = 1f / MathF.Pow(theta, exponent);
        }
        for (var p = 0; p < maxPositions; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = (float)p * invFreq[i];
                Cos[(p * half) + i] = (float)Math.Cos(angle);
                Sin[(p * half) + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>Number of positions covered.</summary>
    public int MaxPositions { get; }

    /// <summary>Head size HS.</summary>
    public int HeadSize { get; }

    /// <summary>cos table [MaxPositions, HS/2].</summary>
    public float[] Cos { get; }

    /// <summary>sin table [MaxPositions, HS/2].</summary>
    public float[] Sin { get; }
}
