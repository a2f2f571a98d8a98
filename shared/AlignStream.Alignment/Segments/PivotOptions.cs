namespace AlignStream.Alignment.Segments;

/// <summary>What to do when a response's ASR mask comes out all zero (ALGORITHMS.md §5B step 4).</summary>
public enum EmptyMaskPolicy
{
    /// <summary>Use all ones for that response (default).</summary>
    AllOnes,

    /// <summary>Drop the pair.</summary>
    DropPair,
}

/// <summary>Reward-change pivot options (ALGORITHMS.md §5B, [RECON]/[EXT] with the marked defaults).</summary>
public sealed record PivotOptions
{
    public const string SectionName = "Pivots";

    /// <summary>|ρ_t| below this continues the current segment. Default 0.</summary>
    public double DeadZone { get; init; }

    /// <summary>Segments shorter than this merge into the previous one (the first into the next). Default 1.</summary>
    public int MinLength { get; init; } = 1;

    /// <summary>Fallback for an all-zero mask. Default all ones.</summary>
    public EmptyMaskPolicy EmptyMask { get; init; } = EmptyMaskPolicy.AllOnes;

    /// <summary>κ of the soft token weights w = clip(1 ± κ·ρ̃, 0, 2). Default 0.5.</summary>
    public double Kappa { get; init; } = 0.5;

    public PivotOptions Validate()
    {
        if (!(DeadZone >= 0) || double.IsInfinity(DeadZone))
        {
            throw new ArgumentOutOfRangeException(nameof(DeadZone), DeadZone, "Pivots.DeadZone must be a finite number >= 0 (default 0).");
        }
        if (MinLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinLength), MinLength, "Pivots.MinLength must be >= 1.");
        }
        if (!(Kappa >= 0) || double.IsInfinity(Kappa))
        {
            throw new ArgumentOutOfRangeException(nameof(Kappa), Kappa, "Pivots.Kappa must be a finite number >= 0 (default 0.5).");
        }
        return this;
    }
}
