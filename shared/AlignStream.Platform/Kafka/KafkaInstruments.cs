using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// The Kafka area's instruments, one meter ("AlignStream.Kafka") from <see cref="IMeterFactory"/>;
/// methods are named for what happened so call sites read as events.
/// </summary>
public sealed class KafkaInstruments
{
    private readonly Counter<long> _produced;
    private readonly Histogram<double> _produceDuration;
    private readonly Counter<long> _consumed;
    private readonly Histogram<double> _handlerDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _rebalances;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _clientErrors;
    private readonly ConcurrentDictionary<long, Func<IEnumerable<Measurement<long>>>> _lagSources = new();
    private long _nextLagSource;

    /// <summary>Creates the meter and its instruments.</summary>
    public KafkaInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Kafka);
        _produced = meter.CreateCounter<long>(MetricNames.Kafka.RecordsProduced, "{record}", "Records produced and acknowledged (or failed).");
        _produceDuration = meter.CreateHistogram<double>(MetricNames.Kafka.ProduceDuration, "s", "Time from produce to broker acknowledgement.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] });
        _consumed = meter.CreateCounter<long>(MetricNames.Kafka.RecordsConsumed, "{record}", "Records taken by consume loops.");
        _handlerDuration = meter.CreateHistogram<double>(MetricNames.Kafka.HandlerDuration, "s", "Handler time per record or batch, outputs acknowledged.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] });
        _retries = meter.CreateCounter<long>(MetricNames.Kafka.HandlerRetries, "{retry}", "Handler retries after transient errors.");
        _deadLettered = meter.CreateCounter<long>(MetricNames.Kafka.DeadLetterRecords, "{record}", "Records sent to the dead-letter topic.");
        _rebalances = meter.CreateCounter<long>(MetricNames.Kafka.Rebalances, "{partition}", "Partitions assigned, revoked or lost.");
        _commits = meter.CreateCounter<long>(MetricNames.Kafka.Commits, "{commit}", "Offset commits by outcome.");
        _clientErrors = meter.CreateCounter<long>(MetricNames.Kafka.ClientErrors, "{error}", "Errors reported by librdkafka clients.");
        meter.CreateObservableGauge(MetricNames.Kafka.ConsumerLag, ObserveLag, "{record}", "Records between the consumer position and the high watermark.");
    }

    /// <summary>A produce was acknowledged (or failed) after <paramref name="seconds"/>.</summary>
    public void RecordProduced(string topic, bool ok, double seconds)
    {
        _produced.Add(1, new("topic", topic), new("outcome", ok ? "ok" : "error"));
        if (ok)
        {
            _produceDuration.Record(seconds, new KeyValuePair<string, object?>("topic", topic));
        }
    }

    /// <summary>A consume loop took a record.</summary>
    public void RecordConsumed(string stage, string topic) =>
        _consumed.Add(1, new("stage", stage), new("topic", topic));

    /// <summary>A handler finished a record or batch (outputs acknowledged).</summary>
    public void HandlerCompleted(string stage, bool batch, double seconds) =>
        _handlerDuration.Record(seconds, new("stage", stage), new("mode", batch ? "batch" : "record"));

    /// <summary>A handler is retried after a transient error.</summary>
    public void HandlerRetried(string stage) => _retries.Add(1, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>A record went to the dead-letter topic.</summary>
    public void RecordDeadLettered(string stage, string sourceTopic, string reasonKind) =>
        _deadLettered.Add(1, new("stage", stage), new("source_topic", sourceTopic), new("reason_kind", reasonKind));

    /// <summary>Partitions changed hands.</summary>
    public void PartitionsChanged(string stage, string change, int count) =>
        _rebalances.Add(count, new("stage", stage), new("change", change));

    /// <summary>An offset commit finished.</summary>
    public void OffsetsCommitted(string stage, string outcome) =>
        _commits.Add(1, new("stage", stage), new("outcome", outcome));

    /// <summary>librdkafka reported an error.</summary>
    public void ClientError(string client, bool fatal) =>
        _clientErrors.Add(1, new("client", client), new("fatal", fatal ? "true" : "false"));

    /// <summary>Adds a source of lag measurements (one per consume loop); dispose to remove it.</summary>
    public IDisposable AddLagSource(Func<IEnumerable<Measurement<long>>> source)
    {
        var id = Interlocked.Increment(ref _nextLagSource);
        _lagSources[id] = source;
        return new LagRegistration(this, id);
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        var all = new List<Measurement<long>>();
        foreach (var source in _lagSources.Values)
        {
            all.AddRange(source());
        }
        return all;
    }

    private sealed class LagRegistration(KafkaInstruments owner, long id) : IDisposable
    {
        public void Dispose() => owner._lagSources.TryRemove(id, out _);
    }
}
