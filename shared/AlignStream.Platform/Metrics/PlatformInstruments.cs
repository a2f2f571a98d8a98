using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AlignStream.Platform.Metrics;

/// <summary>Instruments of the platform library (state store, control plane, host), with intent-named methods.</summary>
public sealed class PlatformInstruments
{
    /// <summary>Latency buckets for store round trips, in seconds (loopback Redis is sub-millisecond).</summary>
    private static readonly IReadOnlyList<double> StoreLatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly Counter<long> _stateOperations;
    private readonly Histogram<double> _stateDuration;
    private readonly Counter<long> _banditUpdates;
    private readonly Counter<long> _idempotencyClaims;
    private readonly Counter<long> _published;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _scrapes;

    /// <summary>
    /// Creates the instruments on the platform meter of <paramref name="meterFactory"/>; with a host environment, also
    /// the <c>align_host_info</c> gauge (1, labelled with the service name and version).
    /// </summary>
    public PlatformInstruments(IMeterFactory meterFactory, IHostEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Platform);
        var started = Stopwatch.GetTimestamp();
        _stateOperations = meter.CreateCounter<long>(MetricNames.State.Operations, "{operation}", "State store operations by operation and outcome.");
        _stateDuration = meter.CreateHistogram(MetricNames.State.OperationDuration, "s", "State store operation latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreLatencyBuckets });
        _banditUpdates = meter.CreateCounter<long>(MetricNames.State.BanditUpdates, "{update}", "Atomic bandit statistic updates by arm.");
        _idempotencyClaims = meter.CreateCounter<long>(MetricNames.State.IdempotencyClaims, "{claim}", "Idempotency key claims by outcome.");
        _published = meter.CreateCounter<long>(MetricNames.Bus.Published, "{message}", "Control-plane messages published by type.");
        _consumed = meter.CreateCounter<long>(MetricNames.Bus.Consumed, "{message}", "Control-plane messages consumed by type and outcome.");
        _scrapes = meter.CreateCounter<long>(MetricNames.Host.Scrapes, "{scrape}", "Scrapes of the /metrics endpoint.");
        if (environment is not null)
        {
            var version = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Version?.ToString() ?? "unknown";
            var info = new Measurement<int>(1,
                new KeyValuePair<string, object?>("service", environment.ApplicationName),
                new KeyValuePair<string, object?>("version", version));
            meter.CreateObservableGauge(MetricNames.Host.Info, () => info, null, "Always 1; labels name the service and its version.");
        }

        meter.CreateObservableGauge(MetricNames.Host.Uptime, () => Stopwatch.GetElapsedTime(started).TotalSeconds, "s", "Seconds since the host's instruments were created.");
        meter.CreateObservableCounter(MetricNames.Host.ProcessCpu, ProcessCpuSeconds, "s", "CPU seconds used by the whole process, every thread, user plus system.");
    }

    /// <summary>Records one state store operation, its outcome ("ok" or "error") and latency.</summary>
    public void StateOperationCompleted(string operation, bool ok, TimeSpan elapsed)
    {
        var op = new KeyValuePair<string, object?>("operation", operation);
        _stateOperations.Add(1, op, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));
        _stateDuration.Record(elapsed.TotalSeconds, op);
    }

    /// <summary>Counts one atomic bandit statistics update of <paramref name="arm"/>.</summary>
    public void BanditStatisticsUpdated(int arm) => _banditUpdates.Add(1, new KeyValuePair<string, object?>("arm", arm));

    /// <summary>Counts an idempotency claim: won (first time) or a duplicate.</summary>
    public void IdempotencyKeyClaimed(bool won) =>
        _idempotencyClaims.Add(1, new KeyValuePair<string, object?>("outcome", won ? "claimed" : "duplicate"));

    /// <summary>Counts a control-plane message published.</summary>
    public void MessagePublished(string messageType) =>
        _published.Add(1, new KeyValuePair<string, object?>("message_type", messageType));

    /// <summary>Counts a control-plane message consumed, with outcome "ok" or "error".</summary>
    public void MessageConsumed(string messageType, bool ok) =>
        _consumed.Add(1, new KeyValuePair<string, object?>("message_type", messageType), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));

    /// <summary>Counts one scrape of /metrics.</summary>
    public void MetricsScraped() => _scrapes.Add(1);

    /// <summary>CPU seconds the process has used so far (every thread, user plus system).</summary>
    public static double ProcessCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }
}
