namespace AlignStream.Trainer.Training;

/// <summary>
/// One validated preference pair as the trainer uses it: token ids, the reference log-prob sums the scorer
/// computed (convention 1: response tokens only), optional per-token weights, and provenance for staleness,
/// bandit feedback and the ledger. <see cref="Weight"/> is the importance weight (1 for a fresh pair).
/// </summary>
public sealed record TrainingPair(
    string PairId,
    int[] Prompt,
    int[] Chosen,
    int[] Rejected,
    double ReferenceChosen,
    double ReferenceRejected,
    float[]? ChosenWeights,
    float[]? RejectedWeights,
    long BehaviorVersion,
    string RewardModel,
    string BatchId,
    float[] PromptEmbedding,
    string PromptText)
{
    /// <summary>Importance weight of the pair's loss (staleness policy).</summary>
    public double Weight { get; init; } = 1.0;

    /// <summary>True when the pair carries token weights for both responses.</summary>
    public bool HasTokenWeights => ChosenWeights is not null && RejectedWeights is not null;
}
