namespace AlignStream.Trainer.Checkpoints;

/// <summary>
/// The small part of a checkpoint (state.json): counters, versions, RNG, the consumed offset of every partition
/// (the next offset to read) and the window of trained pair ids. Written last, so a folder with a state.json is
/// complete.
/// </summary>
public sealed record TrainerCheckpointState
{
    /// <summary>Format of this file.</summary>
    public int Format { get; init; } = 1;

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; init; }

    /// <summary>Latest policy version produced (0 = the base model).</summary>
    public long PolicyVersion { get; init; }

    /// <summary>Step at which <see cref="PolicyVersion"/> was produced.</summary>
    public long PolicyVersionStep { get; init; }

    /// <summary>Latest reference version produced (0 = the base model).</summary>
    public long ReferenceVersion { get; init; }

    /// <summary>Step at which <see cref="ReferenceVersion"/> was produced.</summary>
    public long ReferenceVersionStep { get; init; }

    /// <summary>Policy version at which the current reference window started.</summary>
    public long WindowStartVersion { get; init; }

    /// <summary>RNG state words.</summary>
    public ulong[] Rng { get; init; } = [];

    /// <summary>Topic the offsets belong to.</summary>
    public string Topic { get; init; } = "";

    /// <summary>Partition → next offset to consume.</summary>
    public Dictionary<int, long> Offsets { get; init; } = [];

    /// <summary>Trained pair ids, oldest first (bounded by Trainer:DedupWindow).</summary>
    public List<string> TrainedPairIds { get; init; } = [];

    /// <summary>AdamW step of the policy optimizer.</summary>
    public long OptimizerStep { get; init; }

    /// <summary>AdamW step of the SPO head optimizers.</summary>
    public long HeadOptimizerStep { get; init; }

    /// <summary>Whether the folder holds reference weights (otherwise the reference is the base model).</summary>
    public bool HasReference { get; init; }

    /// <summary>When it was written.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
