namespace AlignStream.Alignment.Models;

/// <summary>Options of <see cref="ArmDistillationTrainer"/> (defaults from ALGORITHMS.md §4.3 where it gives them).</summary>
public sealed record ArmDistillationOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "ArmDistillation";

    /// <summary>AdamW learning rate of the backbone (2e-5 for toxicity in the reference config).</summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>Learning rate of W and w₀.</summary>
    public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay of the backbone (0.01 in the reference config); the frozen output embeddings are exempt.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Coefficient of the baseline-prior regulariser (1 in the reference code; 0 disables it).</summary>
    public double BaselinePrior { get; init; } = 1.0;

    /// <summary>When false only the head is trained (the backbone gets no update).</summary>
    public bool TrainBackbone { get; init; } = true;

    /// <summary>Seed of the random tokens drawn by the baseline-prior regulariser.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Checks every field; throws naming the field and the fix.</summary>
    public ArmDistillationOptions Validate()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentException($"ArmDistillation:LearningRate is {LearningRate}; set a finite value > 0 (e.g. 2e-5).");
        }
        if (!(HeadLearningRate > 0) || !double.IsFinite(HeadLearningRate))
        {
            throw new ArgumentException($"ArmDistillation:HeadLearningRate is {HeadLearningRate}; set a finite value > 0 (e.g. 1e-3).");
        }
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
        {
            throw new ArgumentException($"ArmDistillation:WeightDecay is {WeightDecay}; set a finite value >= 0.");
        }
        if (!(BaselinePrior >= 0) || !double.IsFinite(BaselinePrior))
        {
            throw new ArgumentException($"ArmDistillation:BaselinePrior is {BaselinePrior}; set a finite value >= 0 (1 as in the reference code, 0 to disable).");
        }
        return this;
    }
}
