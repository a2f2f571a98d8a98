namespace AlignStream.Alignment.Models;

/// <summary>Where the engine-backed reward models (<c>learned</c>, <c>arm</c>) load from.</summary>
public sealed record EngineRewardModelOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RewardModels";

    /// <summary>Folder of a saved <see cref="LearnedRewardModel"/>; null leaves <c>learned</c> failing with a message naming this key.</summary>
    public string? LearnedPath { get; init; }

    /// <summary>Folder of a saved <see cref="ArmRewardModel"/>; null leaves <c>arm</c> failing with a message naming this key.</summary>
    public string? ArmPath { get; init; }

    /// <summary>Engine threads per model.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Checks every field; throws naming the field and the fix.</summary>
    public EngineRewardModelOptions Validate()
    {
        if (Threads < 1)
        {
            throw new ArgumentException($"RewardModels:Threads is {Threads}; set at least 1.");
        }
        return this;
    }
}
