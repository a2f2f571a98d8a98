using System.ComponentModel.DataAnnotations;
using AlignStream.Engine.Training;
using AlignStream.Platform.Hosting;

namespace AlignStream.Trainer.Options;

/// <summary>
/// The trainer stage (section <c>Trainer</c>): micro-batching, staleness, loss terms, optimizer, publication,
/// reference refresh and checkpointing. Text-valued choices (policies, schedules) accept the kebab-case names
/// of the docs (<c>importance-weight</c>, <c>per-window</c>, <c>soft-sync</c>) case-insensitively.
/// </summary>
public sealed class TrainerOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Trainer";

    /// <summary>Pairs per optimizer step.</summary>
    [Range(1, 4096, ErrorMessage = "must be between 1 and 4096")]
    public int BatchSize { get; set; } = 8;

    /// <summary>Train a partial batch when no pair arrived for this long (ms); 0 waits for full batches only.</summary>
    [Range(0, 3_600_000, ErrorMessage = "must be between 0 and 3600000")]
    public int MaxBatchWaitMs { get; set; } = 2000;

    /// <summary>Pairs whose behavior policy is more than this many versions behind the trainer are stale.</summary>
    [Range(0, 1_000_000, ErrorMessage = "must be zero or positive")]
    public int MaxStaleness { get; set; } = 2;

    /// <summary><c>drop</c> (default) or <c>importance-weight</c>.</summary>
    public string StalePolicy { get; set; } = "drop";

    /// <summary>With importance-weight, a pair k versions past the bound weighs StaleWeightDecay^k.</summary>
    public double StaleWeightDecay { get; set; } = 0.5;

    /// <summary>DPO β.</summary>
    public double Beta { get; set; } = 0.1;

    /// <summary>DPO label smoothing ε (conservative DPO), in [0, 0.5).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Weight of the chosen response's mean per-token NLL (LASeR's DPO+NLL); 0 disables it.</summary>
    public double NllWeight { get; set; }

    /// <summary>Weight λ of the SPO degree loss; 0 disables SPO (no extra forward work).</summary>
    public double SpoLambda { get; set; }

    /// <summary>SPO degree classes K (remove 0..K−1 key units).</summary>
    [Range(2, 16, ErrorMessage = "must be between 2 and 16")]
    public int SpoClasses { get; set; } = 3;

    /// <summary>The SPO head learns this many times faster than the policy (ALGORITHMS.md §2.3).</summary>
    public double SpoHeadLrMultiplier { get; set; } = 10;

    /// <summary>Per response, train the original plus one seeded random degree instead of all K−1 (§2.5).</summary>
    public bool SpoSubsampleOneDegree { get; set; } = true;

    /// <summary>Use the pairs' token/segment weights when they carry them.</summary>
    public bool UseTokenWeights { get; set; } = true;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = 5e-6;

    /// <summary>Linear warmup steps.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be zero or positive")]
    public int WarmupSteps { get; set; }

    /// <summary><c>constant</c> (default), <c>linear</c> or <c>cosine</c> after warmup.</summary>
    public string LrDecay { get; set; } = "constant";

    /// <summary>Step at which a decaying schedule reaches its floor.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be zero or positive")]
    public int TotalSteps { get; set; }

    /// <summary>Floor of a decaying schedule as a fraction of the peak.</summary>
    public double MinLrRatio { get; set; }

    /// <summary>AdamW decoupled weight decay.</summary>
    public double WeightDecay { get; set; }

    /// <summary>AdamW β1.</summary>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public double ClipNorm { get; set; } = 1.0;

    /// <summary>Publish a policy version every this many steps (always at a checkpoint).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int PublishEvery { get; set; } = 10;

    /// <summary>
    /// Write a checkpoint every this many steps (also at every publish and on shutdown). The default matches
    /// <see cref="PublishEvery"/>: each checkpoint writes the policy, the reference and both AdamW moments with
    /// fsync, and a crash replays at most this many steps of pairs, exactly once either way.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int CheckpointEvery { get; set; } = 10;

    /// <summary>Complete checkpoints kept on disk (older ones are deleted; the trained ledger keeps every step).</summary>
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000")]
    public int KeepCheckpoints { get; set; } = 3;

    /// <summary>Folder of checkpoints and the trained ledger. Must survive restarts (a volume in Kubernetes).</summary>
    [Required(ErrorMessage = "set a folder for checkpoints, e.g. /data/trainer")]
    public string CheckpointDirectory { get; set; } = "";

    /// <summary><c>fixed</c>, <c>per-window</c> (default) or <c>soft-sync</c>.</summary>
    public string ReferenceRefresh { get; set; } = "per-window";

    /// <summary>With per-window: published versions per reference window (1 = refresh at every publish).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int ReferenceWindow { get; set; } = 1;

    /// <summary>With soft-sync: α of ref ← α·θ + (1−α)·ref (TRL default 0.6).</summary>
    public double SoftSyncAlpha { get; set; } = 0.6;

    /// <summary>With soft-sync: steps between syncs (TRL default 512).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int SoftSyncEvery { get; set; } = 512;

    /// <summary>How many trained pair ids are remembered (and checkpointed) to drop duplicates.</summary>
    [Range(1, 10_000_000, ErrorMessage = "must be between 1 and 10000000")]
    public int DedupWindow { get; set; } = 65_536;

    /// <summary>Seed of the trainer's RNG (SPO degree subsampling, head init).</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Longest prompt+response accepted (tokens); 0 means the model's max_position_embeddings.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be zero or positive")]
    public int MaxSequenceLength { get; set; }

    /// <summary>Threads of the engine's own parallel loops (attention) for the trainer's model.</summary>
    [Range(1, 256, ErrorMessage = "must be between 1 and 256")]
    public int Threads { get; set; } = 1;

    /// <summary>Kafka consumer group used only to report progress (correctness never depends on group commits).</summary>
    public string ConsumerGroup { get; set; } = "align-trainer";

    /// <summary>How often the backlog value is refreshed in the state store (ms).</summary>
    [Range(50, 600_000, ErrorMessage = "must be between 50 and 600000")]
    public int BacklogIntervalMs { get; set; } = 1000;

    /// <summary>Parsed <see cref="StalePolicy"/>.</summary>
    public Options.StalePolicy ParsedStalePolicy => ParseEnum<Options.StalePolicy>(StalePolicy) ?? Options.StalePolicy.Drop;

    /// <summary>Parsed <see cref="ReferenceRefresh"/>.</summary>
    public Options.ReferenceRefresh ParsedReferenceRefresh => ParseEnum<Options.ReferenceRefresh>(ReferenceRefresh) ?? Options.ReferenceRefresh.PerWindow;

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule Schedule => new(LearningRate, ParseEnum<DecayKind>(LrDecay) ?? DecayKind.Constant, WarmupSteps, TotalSteps, MinLrRatio);

    /// <summary>AdamW hyper-parameters.</summary>
    public AdamWOptions Adam => new(AdamBeta1, AdamBeta2, AdamEpsilon, WeightDecay);

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (ParseEnum<Options.StalePolicy>(StalePolicy) is null)
        {
            yield return (nameof(StalePolicy), "must be drop or importance-weight");
        }
        if (ParseEnum<Options.ReferenceRefresh>(ReferenceRefresh) is null)
        {
            yield return (nameof(ReferenceRefresh), "must be fixed, per-window or soft-sync");
        }
        if (ParseEnum<DecayKind>(LrDecay) is null)
        {
            yield return (nameof(LrDecay), "must be constant, linear or cosine");
        }
        else if (ParseEnum<DecayKind>(LrDecay) != DecayKind.Constant && TotalSteps <= WarmupSteps)
        {
            yield return (nameof(TotalSteps), "must exceed Trainer:WarmupSteps when Trainer:LrDecay decays");
        }
        if (!(StaleWeightDecay > 0 && StaleWeightDecay <= 1))
        {
            yield return (nameof(StaleWeightDecay), "must be in (0, 1]");
        }
        if (!(Beta > 0) || double.IsInfinity(Beta))
        {
            yield return (nameof(Beta), "must be a positive number (0.1 is the usual DPO default)");
        }
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5))
        {
            yield return (nameof(LabelSmoothing), "must be in [0, 0.5)");
        }
        if (!(NllWeight >= 0) || double.IsInfinity(NllWeight))
        {
            yield return (nameof(NllWeight), "must be zero (off) or a positive number");
        }
        if (!(SpoLambda >= 0) || double.IsInfinity(SpoLambda))
        {
            yield return (nameof(SpoLambda), "must be zero (off) or a positive number such as 0.1");
        }
        if (!(SpoHeadLrMultiplier > 0) || double.IsInfinity(SpoHeadLrMultiplier))
        {
            yield return (nameof(SpoHeadLrMultiplier), "must be a positive number (10 by default)");
        }
        if (!(LearningRate >= 0) || double.IsInfinity(LearningRate))
        {
            yield return (nameof(LearningRate), "must be a finite non-negative number such as 5e-6");
        }
        if (!(MinLrRatio >= 0 && MinLrRatio <= 1))
        {
            yield return (nameof(MinLrRatio), "must be in [0, 1]");
        }
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
        {
            yield return (nameof(WeightDecay), "must be zero or positive");
        }
        if (!(AdamBeta1 >= 0 && AdamBeta1 < 1))
        {
            yield return (nameof(AdamBeta1), "must be in [0, 1)");
        }
        if (!(AdamBeta2 >= 0 && AdamBeta2 < 1))
        {
            yield return (nameof(AdamBeta2), "must be in [0, 1)");
        }
        if (!(AdamEpsilon > 0))
        {
            yield return (nameof(AdamEpsilon), "must be positive (1e-8 is usual)");
        }
        if (!(ClipNorm >= 0) || double.IsInfinity(ClipNorm))
        {
            yield return (nameof(ClipNorm), "must be zero (no clipping) or a positive norm such as 1.0");
        }
        if (!(SoftSyncAlpha > 0 && SoftSyncAlpha <= 1))
        {
            yield return (nameof(SoftSyncAlpha), "must be in (0, 1] (TRL uses 0.6)");
        }
        if (string.IsNullOrWhiteSpace(ConsumerGroup))
        {
            yield return (nameof(ConsumerGroup), "must name a Kafka consumer group, e.g. align-trainer");
        }
    }

    /// <summary>Parses "importance-weight", "ImportanceWeight", "per_window"... into an enum; null when unknown.</summary>
    public static T? ParseEnum<T>(string? text)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var compact = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim();
        return Enum.TryParse<T>(compact, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(compact, out _) ? value : null;
    }
}
