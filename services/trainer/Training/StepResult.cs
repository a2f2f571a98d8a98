namespace AlignStream.Trainer.Training;

/// <summary>
/// What one optimizer step did. Losses are means over the step's pairs (importance-weighted); margins are the
/// implicit-reward margins β·h per pair; <see cref="KlToReference"/> is the mean of policy − reference log-prob
/// of the chosen responses.
/// </summary>
public sealed record StepResult(
    long Step,
    double Loss,
    double DpoLoss,
    double NllLoss,
    double SpoLoss,
    double RewardAccuracy,
    double[] Margins,
    double[] PairLosses,
    double KlToReference,
    double GradientNorm,
    double LearningRate);
