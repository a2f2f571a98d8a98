namespace AlignStream.Engine.Sampling;

/// <summary>
/// Hook that edits next-token logits before sampling (reward-guided decoding, bans, biases).
/// Called once per sequence per step, on the decode thread; implementations must not keep the spans.
/// </summary>
public interface ILogitsProcessor
{
    /// <summary>Edits <paramref name="logits"/> (shape [V]) in place for sequence <paramref name="sequence"/> of the batch.</summary>
    /// <param name="sequence">Index of the sequence in the batch.</param>
    /// <param name="tokensSoFar">Prompt and generated tokens of that sequence so far.</param>
    /// <param name="logits">Next-token logits, [V]; set an entry to negative infinity to forbid a token.</param>
    void Process(int sequence, ReadOnlySpan<int> tokensSoFar, Span<float> logits);
}
