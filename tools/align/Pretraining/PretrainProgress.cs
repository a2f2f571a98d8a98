namespace AlignStream.Cli.Pretraining;

/// <summary>State after one optimizer step, for progress displays; SmoothedLoss is the mean of the last 20 steps.</summary>
public sealed record PretrainProgress(
    int Step,
    int TotalSteps,
    long Tokens,
    double Loss,
    double SmoothedLoss,
    double? HeldOutLoss,
    bool EvaluatedThisStep,
    double LearningRate,
    double ElapsedSeconds)
{
    /// <summary>Training tokens per second so far.</summary>
    public double TokensPerSecond => ElapsedSeconds > 0 ? Tokens / ElapsedSeconds : 0;

    /// <summary>Seconds left at the pace so far (0 while a time budget is still being planned, TotalSteps 0).</summary>
    public double EtaSeconds => Step > 0 && TotalSteps > Step ? ElapsedSeconds / Step * (TotalSteps - Step) : 0;
}

/// <summary>A held-out loss measured during training.</summary>
public sealed record HeldOutPoint(int Step, long Tokens, double TrainLoss, double HeldOutLoss, double ElapsedSeconds);
