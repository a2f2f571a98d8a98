using System.Globalization;

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

    /// <summary>Counter of raw rewards ever recorded for a bandit (its value picks the next history slot).</summary>
    public static string HistoryCount(string bandit) => $"scorer:{bandit}:history:count";

    /// <summary>One slot of the bounded raw-reward history ring.</summary>
    public static string HistorySlot(string bandit, long slot) =>
        $"scorer:{bandit}:history:{slot.ToString(CultureInfo.InvariantCulture)}";
}
