namespace AlignStream.Alignment.Models;

/// <summary>Training options of <see cref="BradleyTerryTrainer"/>.</summary>
public sealed record BradleyTerryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "BradleyTerry";

    /// <summary>AdamW learning rate of the backbone.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Learning rate of the scalar head (the head usually wants a larger one).</summary>
    public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay of the backbone.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Margin m inside −log σ(r_w − r_l − m); 0 is plain Bradley–Terry.</summary>
    public double Margin { get; init; }

    /// <summary>Checks every field; throws naming the field and the fix.</summary>
    public BradleyTerryOptions Validate()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentException($"BradleyTerry:LearningRate is {LearningRate}; set a finite value > 0 (e.g. 1e-4).");
        }
        if (!(HeadLearningRate > 0) || !double.IsFinite(HeadLearningRate))
        {
            throw new ArgumentException($"BradleyTerry:HeadLearningRate is {HeadLearningRate}; set a finite value > 0 (e.g. 1e-3).");
        }
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
        {
            throw new ArgumentException($"BradleyTerry:WeightDecay is {WeightDecay}; set a finite value >= 0.");
        }
        if (!double.IsFinite(Margin))
        {
            throw new ArgumentException($"BradleyTerry:Margin is {Margin}; set a finite value (0 for plain Bradley–Terry).");
        }
        return this;
    }
}
