namespace AlignStream.Alignment.Rewards;

/// <summary>Unit in which <see cref="LengthRewardModel"/> measures a response.</summary>
public enum LengthUnit
{
    Words,
    Characters,
}

/// <summary>Options of the length/format penalty [length].</summary>
public sealed record LengthRewardOptions
{
    public const string SectionName = "LengthReward";

    /// <summary>Target length. Default 64.</summary>
    public int Target { get; init; } = 64;

    public LengthUnit Unit { get; init; } = LengthUnit.Words;

    /// <summary>Relative deviation from the target that costs nothing. Default 0.25 (±25 %).</summary>
    public double Tolerance { get; init; } = 0.25;

    /// <summary>Extra penalty when the response is empty or does not end a sentence (. ! ? or a closing quote/bracket after one). Default 0.1; 0 disables.</summary>
    public double FormatPenalty { get; init; } = 0.1;

    public LengthRewardOptions Validate()
    {
        if (Target < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Target), Target, "LengthReward.Target must be >= 1.");
        }
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance))
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "LengthReward.Tolerance must be a finite number >= 0 (a fraction of the target).");
        }
        if (!(FormatPenalty >= 0 && FormatPenalty <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(FormatPenalty), FormatPenalty, "LengthReward.FormatPenalty must be in [0, 1].");
        }
        return this;
    }
}
