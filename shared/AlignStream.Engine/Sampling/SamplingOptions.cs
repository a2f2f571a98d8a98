namespace AlignStream.Engine.Sampling;

/// <summary>How tokens are drawn: temperature, then top-k, then top-p (nucleus), plus stopping rules.</summary>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature; 0 means greedy (argmax). Must be finite and non-negative.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the K most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose (temperature-scaled, top-k renormalized) mass reaches P; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Maximum tokens to generate per sequence.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Token ids that end a sequence (the stop token itself is emitted).</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>Greedy decoding with the given budget.</summary>
    public static SamplingOptions Greedy(int maxNewTokens) => new() { Temperature = 0f, MaxNewTokens = maxNewTokens };

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and a valid range.</summary>
    public void Validate(int? vocabSize = null)
    {
        if (!float.IsFinite(Temperature) || Temperature < 0f)
        {
            throw new ArgumentException($"SamplingOptions.Temperature is {Temperature}; use 0 for greedy or a positive finite value such as 1.", nameof(Temperature));
        }

        if (TopK < 0)
        {
            throw new ArgumentException($"SamplingOptions.TopK is {TopK}; use 0 to disable or a positive count.", nameof(TopK));
        }

        if (!(TopP > 0f && TopP <= 1f))
        {
            throw new ArgumentException($"SamplingOptions.TopP is {TopP}; it must be in (0, 1], with 1 disabling nucleus sampling.", nameof(TopP));
        }

        if (MaxNewTokens < 0)
        {
            throw new ArgumentException($"SamplingOptions.MaxNewTokens is {MaxNewTokens}; it must be zero or positive.", nameof(MaxNewTokens));
        }

        ArgumentNullException.ThrowIfNull(StopTokens, nameof(StopTokens));
        if (vocabSize is int v)
        {
            foreach (var s in StopTokens)
            {
                if (s < 0 || s >= v)
                {
                    throw new ArgumentException($"SamplingOptions.StopTokens contains {s}, outside the vocabulary [0, {v}).", nameof(StopTokens));
                }
            }
        }
    }

    /// <summary>Whether <paramref name="token"/> is a stop token.</summary>
    public bool IsStop(int token)
    {
        for (var i = 0; i < StopTokens.Count; i++)
        {
            if (StopTokens[i] == token)
            {
                return true;
            }
        }

        return false;
    }
}
