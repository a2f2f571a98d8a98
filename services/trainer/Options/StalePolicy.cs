namespace AlignStream.Trainer.Options;

/// <summary>What the trainer does with a pair generated more than Trainer:MaxStaleness policy versions ago.</summary>
public enum StalePolicy
{
    /// <summary>Skip it (counted as dropped).</summary>
    Drop,

    /// <summary>Train on it with a reduced weight (counted as weighted).</summary>
    ImportanceWeight,
}

/// <summary>How the reference model follows the policy (ALGORITHMS.md §0.2).</summary>
public enum ReferenceRefresh
{
    /// <summary>The base model stays the reference (KL to π_0).</summary>
    Fixed,

    /// <summary>At the start of every window of Trainer:ReferenceWindow published versions the reference becomes the policy.</summary>
    PerWindow,

    /// <summary>TR-DPO: every Trainer:SoftSyncEvery steps, ref ← α·θ + (1−α)·ref.</summary>
    SoftSync,
}
