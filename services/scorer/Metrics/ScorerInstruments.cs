using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;
using AlignStream.Scorer.Laser;

namespace AlignStream.Scorer.Metrics;

/// <summary>The scorer's instruments (meter <see cref="MetricNames.Meters.Scorer"/>), with intent-named methods.</summary>
public sealed class ScorerInstruments
{
    private static readonly IReadOnlyList<double> LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly IReadOnlyList<double> ScoreBuckets = [-10, -5, -2, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 2, 5, 10];
    private static readonly IReadOnlyList<double> MarginBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25];

    private readonly Counter<long> _setsScored;
    private readonly Counter<long> _pairsEmitted;
    private readonly Counter<long> _setsSkipped;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _feedback;
    private readonly Histogram<double> _rmLatency;
    private readonly Histogram<double> _scores;
    private readonly Histogram<double> _margins;
    private readonly Histogram<double> _reference;
    private readonly Counter<double> _engineCpu;
    private readonly Histogram<double> _publish;
    private readonly Histogram<double> _bandit;
    private long _referenceVersion;

    /// <summary>Creates the instruments on the container's meter factory.</summary>
    public ScorerInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Scorer);
        _setsScored = meter.CreateCounter<long>(MetricNames.Scorer.SetsScored, "{set}", "Candidate sets scored and published.");
        _pairsEmitted = meter.CreateCounter<long>(MetricNames.Scorer.PairsEmitted, "{pair}", "Preference pairs published, by reward model.");
        _setsSkipped = meter.CreateCounter<long>(MetricNames.Scorer.SetsSkipped, "{set}", "Candidate sets that produced no pair, by reason.");
        _pulls = meter.CreateCounter<long>(MetricNames.Scorer.BanditSelections, "{pull}", "LASeR arm pulls, by arm (reward model) and task.");
        _feedback = meter.CreateCounter<long>(MetricNames.Scorer.BanditFeedback, "{event}", "BanditFeedback events handled, by outcome.");
        _rmLatency = meter.CreateHistogram(MetricNames.Scorer.ScoringDuration, "s", "Reward model time per batch call, by reward model.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _scores = meter.CreateHistogram(MetricNames.Scorer.RewardScore, "", "Reward scores, by reward model.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ScoreBuckets });
        _margins = meter.CreateHistogram(MetricNames.Scorer.PairMargin, "", "Reward margin of emitted pairs, by reward model.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MarginBuckets });
        _engineCpu = meter.CreateCounter<double>(MetricNames.Scorer.EngineCpu, "s", "CPU seconds of reference forward passes.");
        _reference = meter.CreateHistogram(MetricNames.Scorer.ReferenceDuration, "s", "Reference model forward time per batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _publish = meter.CreateHistogram(MetricNames.Scorer.PublishDuration, "s", "Time from producing a batch's outputs to their acknowledgement.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _bandit = meter.CreateHistogram(MetricNames.Scorer.BanditDuration, "s", "LASeR arm choice time per task group.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        meter.CreateObservableGauge(MetricNames.Scorer.ReferenceVersion, () => Interlocked.Read(ref _referenceVersion), "{version}",
            "Reference model version the scorer serves.");
    }

    /// <summary>A reward model scored a batch of responses.</summary>
    public void RewardModelScored(string rewardModel, TimeSpan elapsed, IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var tag = new KeyValuePair<string, object?>("reward_model", rewardModel);
        _rmLatency.Record(elapsed.TotalSeconds, tag);
        foreach (var s in scores)
        {
            _scores.Record(s, tag);
        }
    }

    /// <summary>The reference forward of a batch finished with <paramref name="version"/>.</summary>
    public void ReferenceScored(long version, TimeSpan elapsed)
    {
        Interlocked.Exchange(ref _referenceVersion, version);
        _reference.Record(elapsed.TotalSeconds);
    }

    /// <summary>Reference passes used <paramref name="seconds"/> of CPU on their thread.</summary>
    public void EngineCpu(double seconds) => _engineCpu.Add(seconds);

    /// <summary>A batch's outputs were acknowledged <paramref name="elapsed"/> after they were produced.</summary>
    public void Published(TimeSpan elapsed) => _publish.Record(elapsed.TotalSeconds);

    /// <summary>The bandit chose an arm for one task group in <paramref name="elapsed"/>.</summary>
    public void ArmChosen(TimeSpan elapsed) => _bandit.Record(elapsed.TotalSeconds);

    /// <summary>The reference version being served (also updated after each batch).</summary>
    public void ReferenceServing(long version) => Interlocked.Exchange(ref _referenceVersion, version);

    /// <summary>The bandit pulled an arm for one task group.</summary>
    public void ArmPulled(string rewardModel, string task) =>
        _pulls.Add(1, new KeyValuePair<string, object?>("arm", rewardModel), new KeyValuePair<string, object?>("task", task));

    /// <summary>A candidate set was scored and published.</summary>
    public void SetScored() => _setsScored.Add(1);

    /// <summary>A candidate set produced no pair (or was a duplicate).</summary>
    public void SetSkipped(string reason) => _setsSkipped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A pair was published.</summary>
    public void PairEmitted(string rewardModel, double margin)
    {
        var tag = new KeyValuePair<string, object?>("reward_model", rewardModel);
        _pairsEmitted.Add(1, tag);
        _margins.Record(margin, tag);
    }

    /// <summary>A BanditFeedback event was handled.</summary>
    public void FeedbackApplied(FeedbackOutcome outcome) => _feedback.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
    {
        FeedbackOutcome.Applied => "applied",
        FeedbackOutcome.AppliedFromEvent => "applied-from-event",
        FeedbackOutcome.Duplicate => "duplicate",
        _ => "rejected",
    }));
}
