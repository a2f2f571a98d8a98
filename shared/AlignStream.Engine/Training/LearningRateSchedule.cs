namespace AlignStream.Engine.Training;

/// <summary>Shape of the learning rate after warmup.</summary>
public enum DecayKind
{
    /// <summary>Constant after warmup.</summary>
    Constant,

    /// <summary>Linear decay to MinRatio·peak at TotalSteps.</summary>
    Linear,

    /// <summary>Half-cosine decay to MinRatio·peak at TotalSteps.</summary>
    Cosine,
}

/// <summary>
/// Learning rate at a step: linear warmup from 0 over WarmupSteps (step s gets peak·(s+1)/warmup,
/// the transformers convention shifted so step 0 already trains), then constant, linear or cosine decay.
/// </summary>
public sealed record LearningRateSchedule(double Peak, DecayKind Decay = DecayKind.Constant, int WarmupSteps = 0, int TotalSteps = 0, double MinRatio = 0)
{
    /// <summary>Throws naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Peak >= 0) || double.IsInfinity(Peak))
        {
            throw new ArgumentOutOfRangeException(nameof(Peak), Peak, "LearningRateSchedule.Peak must be a finite non-negative number");
        }
        if (WarmupSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "LearningRateSchedule.WarmupSteps must be zero or positive");
        }
        if (Decay != DecayKind.Constant && TotalSteps <= WarmupSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(TotalSteps), TotalSteps, "LearningRateSchedule.TotalSteps must exceed WarmupSteps for a decaying schedule");
        }
        if (MinRatio is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinRatio), MinRatio, "LearningRateSchedule.MinRatio must be in [0, 1]");
        }
    }

    /// <summary>The learning rate for zero-based step <paramref name="step"/>.</summary>
    public double At(long step)
    {
        if (step < WarmupSteps)
        {
            return Peak * (step + 1) / WarmupSteps;
        }
        if (Decay == DecayKind.Constant)
        {
            return Peak;
        }
        var progress = Math.Clamp((double)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0, 1);
        var shape = Decay == DecayKind.Linear ? 1 - progress : 0.5 * (1 + Math.Cos(Math.PI * progress));
        return Peak * (MinRatio + ((1 - MinRatio) * shape));
    }
}
