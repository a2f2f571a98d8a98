using AlignStream.Engine.IO;
using AlignStream.Engine.Kernels;

namespace AlignStream.Engine.Training;

/// <summary>
/// Every activation of a forward/backward pass in one float[] carved into named regions, sized once
/// for (maxTokens, maxSequenceLength). Per-layer regions exist for every layer (saved for backward);
/// a forward pass that will not be followed by backward reuses layer 0's regions for all layers.
/// Offsets are in floats; N = maxTokens, C = hidden, QD = heads·HS, KD = kvHeads·HS, F = ffn, V = vocab.
/// </summary>
internal sealed class Activations
{
    private long _cursor;

    public Activations(LlamaConfig config, int maxTokens, int maxSequenceLength)
    {
        int n = maxTokens, c = config.HiddenSize, f = config.IntermediateSize, v = config.VocabSize;
        var qd = config.NumAttentionHeads * config.HeadDim;
        var kd = config.NumKeyValueHeads * config.HeadDim;
        var layers = config.NumHiddenLayers;
        // Σ_b H·L_b² ≤ H·maxLen·Σ_b L_b.
        var probs = (long)config.NumAttentionHeads * maxSequenceLength * maxTokens;
        MaxTokens = maxTokens;
        X = new long[layers + 1];
        for (var l = 0; l <= layers; l++)
        {
            X[l] = Take((long)n * c);
        }
        Layer = new LayerSlots[layers];
        for (var l = 0; l < layers; l++)
        {
            Layer[l] = new LayerSlots(
                Ln1: Take((long)n * c), Rstd1: Take(n), Q: Take((long)n * qd), K: Take((long)n * kd), V: Take((long)n * kd),
                Probs: Take(probs), Y: Take((long)n * qd), XMid: Take((long)n * c), Ln2: Take((long)n * c), Rstd2: Take(n),
                G: Take((long)n * f), U: Take((long)n * f), H: Take((long)n * f));
        }
        LnF = Take((long)n * c);
        RstdF = Take(n);
        Probs = Take((long)n * v);
        LogProb = Take(n);
        Entropy = Take(n);
        DX = Take((long)n * c);
        DLn = Take((long)n * c);
        DQ = Take((long)n * qd);
        DK = Take((long)n * kd);
        DV = Take((long)n * kd);
        DY = Take((long)n * qd);
        DG = Take((long)n * f);
        DU = Take((long)n * f);
        DH = Take((long)n * f);
        DLogits = Take((long)n * v);
        DLogProb = Take(n);
        Scratch = Take(RmsNorm.ScratchSize(c));
        if (_cursor > Array.MaxLength)
        {
            throw new NotSupportedException($"activations for {maxTokens} tokens need {_cursor} floats, more than one array holds; use a smaller batch");
        }
        Buffer = new float[_cursor];
    }

    /// <summary>The one activation buffer.</summary>
    public float[] Buffer { get; }

    public int MaxTokens { get; }

    /// <summary>Residual stream entering layer l (X[L] leaves the last layer) [N, C].</summary>
    public long[] X { get; }

    public LayerSlots[] Layer { get; }

    public long LnF { get; }

    public long RstdF { get; }

    /// <summary>Softmax probabilities [N, V] (the logits are overwritten).</summary>
    public long Probs { get; }

    /// <summary>Row n: log p(Targets[n]) [N].</summary>
    public long LogProb { get; }

    public long Entropy { get; }

    public long DX { get; }

    public long DLn { get; }

    public long DQ { get; }

    public long DK { get; }

    public long DV { get; }

    public long DY { get; }

    public long DG { get; }

    public long DU { get; }

    public long DH { get; }

    public long DLogits { get; }

    public long DLogProb { get; }

    public long Scratch { get; }

    public Span<float> Span(long offset, long length) => Buffer.AsSpan((int)offset, (int)length);

    private long Take(long size)
    {
        var o = _cursor;
        // Keep regions 64-byte aligned relative to the array start for SIMD friendliness.
        _cursor += (size + 15) & ~15L;
        return o;
    }

    /// <summary>Offsets of one layer's saved activations.</summary>
    internal readonly record struct LayerSlots(long Ln1, long Rstd1, long Q, long K, long V, long Probs, long Y, long XMid, long Ln2, long Rstd2, long G, long U, long H);
}
