namespace AlignStream.Trainer.Training;

/// <summary>
/// The most recent trained pair ids, bounded: a set for lookups and a queue for eviction in arrival order.
/// Checkpointed with the offsets, so after a restart the window matches the records that will be re-read.
/// </summary>
public sealed class PairIdWindow
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Creates an empty window of at most <paramref name="capacity"/> ids.</summary>
    public PairIdWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most ids kept.</summary>
    public int Capacity { get; }

    /// <summary>Ids held.</summary>
    public int Count => _set.Count;

    /// <summary>Whether <paramref name="id"/> is in the window.</summary>
    public bool Contains(string id) => _set.Contains(id);

    /// <summary>Adds an id, evicting the oldest beyond the capacity; false when it was already present.</summary>
    public bool Add(string id)
    {
        if (!_set.Add(id))
        {
            return false;
        }
        _order.Enqueue(id);
        while (_order.Count > Capacity)
        {
            _set.Remove(_order.Dequeue());
        }
        return true;
    }

    /// <summary>The ids, oldest first.</summary>
    public List<string> ToList() => [.. _order];

    /// <summary>Replaces the contents (oldest first), keeping the newest <see cref="Capacity"/>.</summary>
    public void Load(IEnumerable<string> ids)
    {
        _set.Clear();
        _order.Clear();
        foreach (var id in ids)
        {
            Add(id);
        }
    }
}
