using AlignStream.Engine.IO;

namespace AlignStream.Engine.Inference;

/// <summary>
/// Keys and values of every slot in one float[]: [slot, layer, {K, V}, capacity, KVH·HS]. A slot's
/// length is how many positions it holds; resetting a slot only zeroes that count, so a slot is refilled
/// with a new prompt without touching the others (continuous batching).
/// </summary>
public sealed class KvCache
{
    /// <summary>Allocates room for <paramref name="slots"/> sequences of up to <paramref name="capacity"/> tokens.</summary>
    public KvCache(LlamaConfig config, int slots, int capacity)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (slots < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "a KV cache needs at least one slot");
        }
        if (capacity < 1 || capacity > config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"capacity must be within 1..{config.MaxPositionEmbeddings} (max_position_embeddings)");
        }
        Slots = slots;
        Capacity = capacity;
        Layers = config.NumHiddenLayers;
        RowWidth = config.NumKeyValueHeads * config.HeadDim;
        var size = (long)slots * Layers * 2 * capacity * RowWidth;
        if (size > Array.MaxLength)
        {
            throw new NotSupportedException($"a KV cache of {slots} slots x {capacity} tokens needs {size} floats; use fewer slots or a shorter capacity");
        }
        Data = new float[size];
        Lengths = new int[slots];
    }

    /// <summary>Number of slots.</summary>
    public int Slots { get; }

    /// <summary>Tokens per slot.</summary>
    public int Capacity { get; }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }

    /// <summary>KVH·HS.</summary>
    public int RowWidth { get; }

    /// <summary>The cache storage.</summary>
    public float[] Data { get; }

    /// <summary>Positions held per slot.</summary>
    public int[] Lengths { get; }

    /// <summary>Empties one slot.</summary>
    public void Reset(int slot) => Lengths[slot] = 0;

    /// <summary>Empties all slots.</summary>
    public void ResetAll() => Array.Clear(Lengths);

    /// <summary>Offset of the key block [capacity, KVH·HS] of (slot, layer); the value block follows it.</summary>
    public long KeyOffset(int slot, int layer) => (((long)slot * Layers) + layer) * 2 * Capacity * RowWidth;

    /// <summary>Offset of the value block of (slot, layer).</summary>
    public long ValueOffset(int slot, int layer) => KeyOffset(slot, layer) + ((long)Capacity * RowWidth);
}
