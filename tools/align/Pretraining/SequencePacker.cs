using AlignStream.Engine.Training;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// Packs documents into rows of at most the model's context: each row takes whole documents in stream
/// order until the next one does not fit; a document longer than a row is cut into context-sized pieces.
/// Every document goes into the batch as its own sequence (positions from 0, attention only inside it),
/// so packing removes padding without letting documents see each other.
/// </summary>
public sealed class SequencePacker
{
    private readonly Func<int[]> _next;
    private readonly Queue<int[]> _pending = new();

    /// <summary>Packs from <paramref name="next"/> into rows of <paramref name="rowTokens"/> tokens.</summary>
    public SequencePacker(Func<int[]> next, int rowTokens)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (rowTokens < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(rowTokens), rowTokens, "a row needs at least 2 tokens (one is scored)");
        }
        _next = next;
        RowTokens = rowTokens;
    }

    /// <summary>Tokens per row (the model's context).</summary>
    public int RowTokens { get; }

    /// <summary>Upper bound on the sequences one row can hold (documents are at least 2 tokens).</summary>
    public int MaxSequencesPerRow => RowTokens / 2;

    /// <summary>The next row: the documents (or pieces) it holds, together at most <see cref="RowTokens"/> long.</summary>
    public List<int[]> NextRow()
    {
        var row = new List<int[]>();
        var used = 0;
        while (true)
        {
            var doc = Peek();
            if (used + doc.Length > RowTokens)
            {
                if (row.Count > 0)
                {
                    return row;
                }
                throw new InvalidOperationException("unreachable: pieces are cut to the row length");
            }
            row.Add(_pending.Dequeue());
            used += doc.Length;
            if (used > RowTokens - 2)
            {
                return row;
            }
        }
    }

    /// <summary>Clears <paramref name="batch"/> and fills it with <paramref name="rows"/> rows; returns the tokens added.</summary>
    public int FillBatch(SequenceBatch batch, int rows)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Clear();
        for (var r = 0; r < rows; r++)
        {
            foreach (var seq in NextRow())
            {
                batch.Add(seq);
            }
        }
        return batch.TokenCount;
    }

    private int[] Peek()
    {
        while (_pending.Count == 0)
        {
            var doc = _next();
            if (doc.Length < 2)
            {
                continue;
            }
            // Cut long documents into pieces; a 1-token tail scores nothing and is dropped.
            for (var s = 0; s < doc.Length; s += RowTokens)
            {
                var len = Math.Min(RowTokens, doc.Length - s);
                if (len >= 2)
                {
                    _pending.Enqueue(doc[s..(s + len)]);
                }
            }
        }
        return _pending.Peek();
    }
}
