using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Metrics;

/// <summary>The trainer's instruments (meter <see cref="MetricNames.Meters.Trainer"/>), with intent-named methods.</summary>
public sealed class TrainerInstruments
{
    private static readonly IReadOnlyList<double> StalenessBuckets = [0, 1, 2, 3, 4, 6, 8, 12, 16, 32];
    private static readonly IReadOnlyList<double> MarginBuckets = [-2, -1, -0.5, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.5, 1, 2];
    private static readonly IReadOnlyList<double> DurationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly Counter<long> _steps;
    private readonly Counter<long> _pairsTrained;
    private readonly Counter<long> _droppedStale;
    private readonly Counter<long> _weighted;
    private readonly Counter<long> _duplicates;
    private readonly Histogram<double> _staleness;
    private readonly Histogram<double> _margins;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<double> _engineCpu;
    private readonly Counter<long> _versions;
    private readonly Counter<long> _references;
    private readonly Counter<long> _checkpoints;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Counter<long> _feedback;
    private readonly Counter<long> _pruned;
    private readonly Lock _gate = new();
    private StepResult? _last;
    private long _backlog;
    private long _policyVersion;
    private long _referenceVersion;

    /// <summary>Creates the instruments on the trainer meter.</summary>
    public TrainerInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Trainer);
        _steps = meter.CreateCounter<long>(MetricNames.Trainer.Steps, "{step}", "Optimizer steps.");
        _pairsTrained = meter.CreateCounter<long>(MetricNames.Trainer.PairsTrained, "{pair}", "Pairs trained on.");
        _droppedStale = meter.CreateCounter<long>(MetricNames.Trainer.PairsDroppedStale, "{pair}", "Pairs dropped as stale.");
        _weighted = meter.CreateCounter<long>(MetricNames.Trainer.PairsImportanceWeighted, "{pair}", "Stale pairs kept with an importance weight.");
        _duplicates = meter.CreateCounter<long>(MetricNames.Trainer.PairsDuplicate, "{pair}", "Pairs dropped as duplicates of trained pair ids.");
        _staleness = meter.CreateHistogram(MetricNames.Trainer.Staleness, "{version}", "Policy versions between a pair's generation and training.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StalenessBuckets });
        _margins = meter.CreateHistogram(MetricNames.Trainer.RewardMargin, "", "Implicit reward margin beta*h per trained pair.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MarginBuckets });
        _engineCpu = meter.CreateCounter<double>(MetricNames.Trainer.EngineCpu, "s", "CPU seconds of optimizer steps (forward, backward, update).");
        _stepDuration = meter.CreateHistogram(MetricNames.Trainer.StepDuration, "s", "Duration of one optimizer step.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _versions = meter.CreateCounter<long>(MetricNames.Trainer.VersionsPublished, "{version}", "Policy versions published.");
        _references = meter.CreateCounter<long>(MetricNames.Trainer.ReferencesPublished, "{version}", "Reference versions published.");
        _checkpoints = meter.CreateCounter<long>(MetricNames.Trainer.Checkpoints, "{checkpoint}", "Checkpoints written, by reason.");
        _checkpointDuration = meter.CreateHistogram(MetricNames.Trainer.CheckpointDuration, "s", "Time to write one checkpoint.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _feedback = meter.CreateCounter<long>(MetricNames.Trainer.BanditFeedback, "{event}", "BanditFeedback events published.");
        _pruned = meter.CreateCounter<long>(MetricNames.Trainer.WeightsPruned, "{version}", "Old versions deleted from the weight store by retention.");
        meter.CreateObservableGauge(MetricNames.Trainer.Loss, () => Last(r => r.Loss), "", "Total loss of the last step.");
        meter.CreateObservableGauge(MetricNames.Trainer.DpoLoss, () => Last(r => r.DpoLoss), "", "Mean DPO loss of the last step.");
        meter.CreateObservableGauge(MetricNames.Trainer.RewardAccuracy, () => Last(r => r.RewardAccuracy), "", "Reward accuracy of the last step.");
        meter.CreateObservableGauge(MetricNames.Trainer.KlToReference, () => Last(r => r.KlToReference), "", "Mean policy minus reference log-prob of the chosen responses.");
        meter.CreateObservableGauge(MetricNames.Trainer.GradientNorm, () => Last(r => r.GradientNorm), "", "Gradient norm before clipping.");
        meter.CreateObservableGauge(MetricNames.Trainer.LearningRate, () => Last(r => r.LearningRate), "", "Learning rate of the last step.");
        meter.CreateObservableGauge(MetricNames.Trainer.Backlog, () => Interlocked.Read(ref _backlog), "{pair}", "Untrained pairs (end offsets minus consumed offsets).");
        meter.CreateObservableGauge(MetricNames.Trainer.PolicyVersion, () => Interlocked.Read(ref _policyVersion), "{version}", "Latest policy version produced.");
        meter.CreateObservableGauge(MetricNames.Trainer.ReferenceVersion, () => Interlocked.Read(ref _referenceVersion), "{version}", "Latest reference version produced.");
    }

    /// <summary>A pair was looked at: records its staleness.</summary>
    public void PairStaleness(long versions) => _staleness.Record(versions);

    /// <summary>A stale pair was dropped.</summary>
    public void DroppedStale() => _droppedStale.Add(1);

    /// <summary>A stale pair was kept with a weight.</summary>
    public void ImportanceWeighted() => _weighted.Add(1);

    /// <summary>A pair id was already trained.</summary>
    public void Duplicate() => _duplicates.Add(1);

    /// <summary>An optimizer step used <paramref name="seconds"/> of CPU on its thread.</summary>
    public void EngineCpu(double seconds) => _engineCpu.Add(seconds);

    /// <summary>A step finished.</summary>
    public void Stepped(StepResult result, int pairs, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(result);
        _steps.Add(1);
        _pairsTrained.Add(pairs);
        _stepDuration.Record(duration.TotalSeconds);
        foreach (var m in result.Margins)
        {
            _margins.Record(m);
        }
        lock (_gate)
        {
            _last = result;
        }
    }

    /// <summary>Retention deleted <paramref name="count"/> old versions or staging folders from the weight store.</summary>
    public void WeightsPruned(int count) => _pruned.Add(count);

    /// <summary>A checkpoint was written.</summary>
    public void Checkpointed(string reason, TimeSpan duration)
    {
        _checkpoints.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _checkpointDuration.Record(duration.TotalSeconds);
    }

    /// <summary>A policy version was published.</summary>
    public void PolicyPublished(long version)
    {
        _versions.Add(1);
        Interlocked.Exchange(ref _policyVersion, version);
    }

    /// <summary>A reference version was published.</summary>
    public void ReferencePublished(long version)
    {
        _references.Add(1);
        Interlocked.Exchange(ref _referenceVersion, version);
    }

    /// <summary>The versions restored from a checkpoint.</summary>
    public void Versions(long policy, long reference)
    {
        Interlocked.Exchange(ref _policyVersion, policy);
        Interlocked.Exchange(ref _referenceVersion, reference);
    }

    /// <summary>Bandit feedback events were published.</summary>
    public void FeedbackPublished(int count) => _feedback.Add(count);

    /// <summary>The latest backlog.</summary>
    public void Backlog(long pairs) => Interlocked.Exchange(ref _backlog, pairs);

    private double Last(Func<StepResult, double> pick)
    {
        lock (_gate)
        {
            return _last is null ? 0 : pick(_last);
        }
    }
}
