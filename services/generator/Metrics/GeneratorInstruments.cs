using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;

namespace AlignStream.Generator.Metrics;

/// <summary>The generator's instruments (meter <c>AlignStream.Generator</c>), with intent-named methods.</summary>
public sealed class GeneratorInstruments
{
    private static readonly IReadOnlyList<double> StepBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private static readonly IReadOnlyList<double> GenerationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly IReadOnlyList<double> OccupancyBuckets = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1];

    private readonly Counter<long> _prompts;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _candidates;
    private readonly Counter<long> _sets;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _weightLoads;
    private readonly Counter<long> _backpressureWaits;
    private readonly Histogram<double> _generation;
    private readonly Histogram<double> _step;
    private readonly Counter<double> _engineCpu;
    private readonly Histogram<double> _gap;
    private readonly Histogram<double> _occupancy;
    private readonly Lock _gate = new();
    private long _policyVersion;
    private long _active;
    private long _waiting;
    private long _observedBacklog = -1;
    private double _gapMax;
    private double _tokensPerSecond;
    private long _windowTokens;
    private long _windowStarted = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Creates the instruments on the generator meter of <paramref name="meterFactory"/>.</summary>
    public GeneratorInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Generator);
        _prompts = meter.CreateCounter<long>(MetricNames.Generator.PromptsConsumed, "{prompt}", "Prompts taken from Kafka, by outcome.");
        _rejected = meter.CreateCounter<long>(MetricNames.Generator.PromptsRejected, "{prompt}", "Prompts sent to the dead-letter topic, by reason.");
        _candidates = meter.CreateCounter<long>(MetricNames.Generator.CandidatesGenerated, "{candidate}", "Candidates sampled, by finish reason.");
        _sets = meter.CreateCounter<long>(MetricNames.Generator.CandidateSetsPublished, "{set}", "Candidate sets acknowledged by the candidates topic.");
        _tokens = meter.CreateCounter<long>(MetricNames.Generator.TokensGenerated, "{token}", "Tokens sampled.");
        _weightLoads = meter.CreateCounter<long>(MetricNames.Generator.WeightLoads, "{version}", "Policy weight loads, by outcome.");
        _backpressureWaits = meter.CreateCounter<long>(MetricNames.Generator.BackpressureWaits, "{wait}", "Waits while the trainer backlog was above the bound.");
        _generation = meter.CreateHistogram(MetricNames.Generator.GenerationDuration, "s", "Submission to the decode batch to acknowledged publication of one candidate set.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GenerationBuckets });
        _engineCpu = meter.CreateCounter<double>(MetricNames.Generator.EngineCpu, "s", "CPU seconds of decode steps, prompt embeddings and sampling.");
        _step = meter.CreateHistogram(MetricNames.Generator.DecodeStepDuration, "s", "One engine decode step.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StepBuckets });
        _gap = meter.CreateHistogram(MetricNames.Generator.DecodeStepGap, "s", "Pause between consecutive decode steps while sequences run.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StepBuckets });
        _occupancy = meter.CreateHistogram(MetricNames.Generator.DecodeBatchOccupancy, "{ratio}", "Share of decode slots holding a sequence, per step.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OccupancyBuckets });
        meter.CreateObservableGauge(MetricNames.Generator.PolicyVersion, () => Interlocked.Read(ref _policyVersion), "{version}", "Policy version being served.");
        meter.CreateObservableGauge(MetricNames.Generator.ActiveSequences, () => Interlocked.Read(ref _active), "{sequence}", "Slots holding a sequence.");
        meter.CreateObservableGauge(MetricNames.Generator.WaitingSequences, () => Interlocked.Read(ref _waiting), "{sequence}", "Sequences waiting for a slot.");
        meter.CreateObservableGauge(MetricNames.Generator.ObservedTrainerBacklog, ObserveBacklog, "{pair}", "Trainer backlog last read by the generator.");
        meter.CreateObservableGauge(MetricNames.Generator.DecodeStepGapMax, () => { lock (_gate) { return _gapMax; } }, "s", "Longest pause between two decode steps.");
        meter.CreateObservableGauge(MetricNames.Generator.TokensPerSecond, ObserveTokensPerSecond, "{token}", "Tokens sampled per second over the last second.");
    }

    /// <summary>Longest pause between two decode steps seen so far, in seconds.</summary>
    public double LongestStepGapSeconds
    {
        get
        {
            lock (_gate)
            {
                return _gapMax;
            }
        }
    }

    /// <summary>A prompt left the consume loop with <paramref name="outcome"/> (generated, duplicate, rejected).</summary>
    public void PromptConsumed(string outcome) => _prompts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A prompt was dead-lettered for <paramref name="reason"/>.</summary>
    public void PromptRejected(string reason)
    {
        _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        PromptConsumed("rejected");
    }

    /// <summary>A candidate finished.</summary>
    public void CandidateFinished(string finishReason) => _candidates.Add(1, new KeyValuePair<string, object?>("finish_reason", finishReason));

    /// <summary>A candidate set was acknowledged, <paramref name="elapsed"/> after its prompt was admitted.</summary>
    public void SetPublished(TimeSpan elapsed)
    {
        _sets.Add(1);
        _generation.Record(elapsed.TotalSeconds);
    }

    /// <summary>A decode step (engine pass and sampling) used <paramref name="seconds"/> of CPU on the decode thread.</summary>
    public void EngineCpu(double seconds) => _engineCpu.Add(seconds);

    /// <summary>One decode step ran: <paramref name="sampled"/> tokens drawn, <paramref name="active"/> of <paramref name="slots"/> slots busy.</summary>
    public void StepCompleted(TimeSpan duration, int sampled, int active, int slots, int waiting)
    {
        _step.Record(duration.TotalSeconds);
        _occupancy.Record(slots == 0 ? 0 : (double)active / slots);
        _tokens.Add(sampled);
        Interlocked.Exchange(ref _active, active);
        Interlocked.Exchange(ref _waiting, waiting);
        lock (_gate)
        {
            _windowTokens += sampled;
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_windowStarted).TotalSeconds;
            if (elapsed >= 1)
            {
                _tokensPerSecond = _windowTokens / elapsed;
                _windowTokens = 0;
                _windowStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>The decode loop went idle (no sequence left): occupancy gauges drop to zero.</summary>
    public void Idle(int waiting)
    {
        Interlocked.Exchange(ref _active, 0);
        Interlocked.Exchange(ref _waiting, waiting);
    }

    /// <summary>
    /// The pause between the end of one step and the start of the next while sequences were running, labelled
    /// swap=true when a weight swap (load, verify or flip) overlapped it.
    /// </summary>
    public void StepGap(TimeSpan gap, bool duringSwap = false)
    {
        _gap.Record(gap.TotalSeconds, new KeyValuePair<string, object?>("swap", duringSwap ? "true" : "false"));
        lock (_gate)
        {
            _gapMax = Math.Max(_gapMax, gap.TotalSeconds);
        }
    }

    /// <summary>The served policy version changed (or was first set).</summary>
    public void PolicyServing(long version) => Interlocked.Exchange(ref _policyVersion, version);

    /// <summary>A weights version was loaded or rejected by the policy target.</summary>
    public void WeightLoad(bool loaded) => _weightLoads.Add(1, new KeyValuePair<string, object?>("outcome", loaded ? "loaded" : "rejected"));

    /// <summary>Generation waited once because the trainer backlog was above the bound.</summary>
    public void BackpressureWait() => _backpressureWaits.Add(1);

    /// <summary>The trainer backlog read from the state store.</summary>
    public void BacklogObserved(long backlog) => Interlocked.Exchange(ref _observedBacklog, backlog);

    private IEnumerable<Measurement<long>> ObserveBacklog()
    {
        var value = Interlocked.Read(ref _observedBacklog);
        return value < 0 ? [] : [new Measurement<long>(value)];
    }

    private double ObserveTokensPerSecond()
    {
        lock (_gate)
        {
            // Decay to zero when decoding stopped: the window has not been closed by a step for a while.
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_windowStarted).TotalSeconds;
            return elapsed > 2 ? _windowTokens / elapsed : _tokensPerSecond;
        }
    }
}
