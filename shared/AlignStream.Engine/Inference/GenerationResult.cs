namespace AlignStream.Engine.Inference;

/// <summary>Why a sequence stopped.</summary>
public enum StopReason
{
    /// <summary>It emitted a stop token (included in the output).</summary>
    StopToken,

    /// <summary>It reached the max new tokens.</summary>
    MaxTokens,

    /// <summary>It filled the context window.</summary>
    ContextFull,
}

/// <summary>Generated tokens of one prompt with their behavior log-probs (raw distribution, temperature 1) and the version of the weights that produced them.</summary>
public sealed record GenerationResult(int[] Tokens, float[] LogProbs, StopReason StopReason, string WeightsVersion);
