using AlignStream.Alignment.Rewards;

namespace AlignStream.Alignment.Models;

/// <summary>Registers the engine-backed reward models (<c>learned</c>, <c>arm</c>) in a <see cref="RewardModelRegistry"/>.</summary>
public static class EngineRewardModels
{
    /// <summary>Adds factories that load each model from its configured folder on first use.</summary>
    public static void Register(RewardModelRegistry registry, EngineRewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        registry.Register(LearnedRewardModel.ModelName, _ => LearnedRewardModel.Load(
            options.LearnedPath ?? throw new InvalidOperationException("reward model 'learned' needs RewardModels:LearnedPath, the folder of a trained learned reward model."),
            options.Threads));
        registry.Register(ArmRewardModel.ModelName, _ => ArmRewardModel.Load(
            options.ArmPath ?? throw new InvalidOperationException("reward model 'arm' needs RewardModels:ArmPath, the folder of a distilled ARM."),
            options.Threads));
    }
}
