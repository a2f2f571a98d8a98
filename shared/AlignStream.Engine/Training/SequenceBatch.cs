namespace AlignStream.Engine.Training;

/// <summary>
/// Variable-length sequences packed back to back (the right-padded [B, T] batch with its padding
/// removed): sequence b holds rows [Starts[b], Starts[b] + Lengths[b]). Arrays are allocated once for
/// the capacity and refilled per step.
/// </summary>
public sealed class SequenceBatch
{
    /// <summary>Allocates for at most <paramref name="maxSequences"/> sequences and <paramref name="maxTokens"/> tokens in total.</summary>
    public SequenceBatch(int maxSequences, int maxTokens)
    {
        if (maxSequences < 1 || maxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSequences), "a batch needs room for at least one sequence and one token");
        }
        Tokens = new int[maxTokens];
        Positions = new int[maxTokens];
        Targets = new int[maxTokens];
        Starts = new int[maxSequences];
        Lengths = new int[maxSequences];
    }

    /// <summary>Token ids [N].</summary>
    public int[] Tokens { get; }

    /// <summary>Position of each token inside its sequence [N].</summary>
    public int[] Positions { get; }

    /// <summary>Next token of the same sequence for each row, −1 on a sequence's last row [N].</summary>
    public int[] Targets { get; }

    /// <summary>First row of each sequence [B].</summary>
    public int[] Starts { get; }

    /// <summary>Length of each sequence [B].</summary>
    public int[] Lengths { get; }

    /// <summary>Number of sequences B.</summary>
    public int Count { get; private set; }

    /// <summary>Number of tokens N.</summary>
    public int TokenCount { get; private set; }

    /// <summary>Longest sequence in the batch.</summary>
    public int MaxLength { get; private set; }

    /// <summary>Sequence capacity.</summary>
    public int MaxSequences => Starts.Length;

    /// <summary>Token capacity.</summary>
    public int MaxTokens => Tokens.Length;

    /// <summary>Empties the batch.</summary>
    public void Clear()
    {
        Count = 0;
        TokenCount = 0;
        MaxLength = 0;
    }

    /// <summary>Appends the concatenation of <paramref name="prefix"/> and <paramref name="rest"/> as one sequence; returns its index.</summary>
    public int Add(ReadOnlySpan<int> prefix, ReadOnlySpan<int> rest = default)
    {
        var len = prefix.Length + rest.Length;
        if (Count == MaxSequences)
        {
            throw new InvalidOperationException($"the batch already holds its capacity of {MaxSequences} sequences");
        }
        if (TokenCount + len > MaxTokens)
        {
            throw new InvalidOperationException($"adding a sequence of {len} tokens exceeds the batch capacity of {MaxTokens} tokens");
        }
        var s = TokenCount;
        prefix.CopyTo(Tokens.AsSpan(s));
        rest.CopyTo(Tokens.AsSpan(s + prefix.Length));
        for (var i = 0; i < len; i++)
        {
            Positions[s + i] = i;
            Targets[s + i] = i + 1 < len ? Tokens[s + i + 1] : -1;
        }
        Starts[Count] = s;
        Lengths[Count] = len;
        Count++;
        TokenCount += len;
        MaxLength = Math.Max(MaxLength, len);
        return Count - 1;
    }

    /// <summary>Appends the rows of a right-padded [B, T] batch given each row's true length.</summary>
    public void AddPadded(ReadOnlySpan<int> tokens, int batch, int time, ReadOnlySpan<int> lengths)
    {
        for (var b = 0; b < batch; b++)
        {
            if (lengths[b] < 0 || lengths[b] > time)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"length of row {b} must be within 0..{time}");
            }
            Add(tokens.Slice(b * time, lengths[b]));
        }
    }
}
