namespace AlignStream.Engine.Model;

/// <summary>Offsets of one decoder layer's tensors inside the contiguous parameter buffer.</summary>
public readonly record struct LayerOffsets(int InputNorm, int Q, int K, int V, int O, int PostNorm, int Gate, int Up, int Down);
