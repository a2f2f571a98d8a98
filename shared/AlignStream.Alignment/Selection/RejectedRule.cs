namespace AlignStream.Alignment.Selection;

/// <summary>How the rejected response is picked once the chosen one is fixed (ALGORITHMS.md §1.4).</summary>
public enum RejectedRule
{
    /// <summary>r = argmax_{i≠c} [−R_i + β·P_i]: low reward but typical under π_ref (our [EXT] default).</summary>
    Regularized,

    /// <summary>r = argmin_{i≠c} R_i.</summary>
    Worst,

    /// <summary>A uniformly random other candidate, from a seeded RNG.</summary>
    Random,
}
