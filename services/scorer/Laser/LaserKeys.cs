namespace AlignStream.Scorer.Laser;

/// <summary>State-store keys of the LASeR bandit shared by every scorer replica, one bandit per experiment.</summary>
public static class LaserKeys
{
    /// <summary>The experiment name used when a prompt carries none.</summary>
    public const string DefaultExperiment = "default";

    /// <summary>Bandit key (IStateStore.AppendBanditAsync / ReadBanditAsync).</summary>
    public static string Bandit(string? experiment) => "laser:" + (string.IsNullOrEmpty(experiment) ? DefaultExperiment : experiment);

    /// <summary>Bandit key of one task within an experiment (Scorer:BanditPerTask).</summary>
    public static string Bandit(string? experiment, string task) => Bandit(experiment) + ":task:" + task;

    /// <summary>The pending (arm, context) of a batch, waiting for the trainer's feedback.</summary>
    public static string Pending(string batchId) => "scorer:laser:pending:" + batchId;

    /// <summary>Idempotency key of one batch's feedback, so a redelivered event is applied once.</summary>
    public static string FeedbackClaim(string batchId) => "scorer:laser:feedback:" + batchId;

    /// <summary>The bandit's shared window of recent raw rewards (IStateStore.PushRecentAsync).</summary>
    public static string History(string bandit) => $"scorer:{bandit}:history";
}
