using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;

namespace AlignStream.Cli.Demo;

/// <summary>
/// Reads the pipeline's own instruments in-process (the same numbers /metrics exposes) for the live view, the prompt
/// feeder's in-flight bound and the run report. Counters and histograms are summed per tag set; observable gauges keep
/// their last observation (<see cref="Refresh"/> polls them).
/// </summary>
public sealed class DemoTelemetry : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Cell>> _values = new(StringComparer.Ordinal);

    /// <summary>The instruments the demo's feeder, live view and report read.</summary>
    public static readonly IReadOnlySet<string> ReadByDemo = new HashSet<string>(StringComparer.Ordinal)
    {
        MetricNames.Generator.CandidateSetsPublished, MetricNames.Generator.PromptsRejected, MetricNames.Generator.TokensGenerated,
        MetricNames.Generator.PolicyVersion, MetricNames.Scorer.RewardScore, MetricNames.Scorer.BanditSelections,
        MetricNames.Trainer.PolicyVersion, MetricNames.Trainer.ReferenceVersion, MetricNames.Trainer.Loss, MetricNames.Trainer.KlToReference,
        MetricNames.Trainer.PairsTrained, MetricNames.Trainer.Steps, MetricNames.Trainer.Backlog, MetricNames.Trainer.Staleness,
        MetricNames.Kafka.ConsumerLag,
    };

    /// <summary>
    /// Listens to the instruments <paramref name="include"/> accepts (default: every <c>align_</c> instrument). Measurements
    /// are recorded on the caller's thread, so a host passes only the names it reads (<see cref="ReadByDemo"/>) and keeps
    /// per-step instruments such as the decode step histogram out of the hot loops.
    /// </summary>
    public DemoTelemetry(Func<string, bool>? include = null)
    {
        include ??= name => name.StartsWith("align_", StringComparison.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Polls the observable gauges now.</summary>
    public void Refresh() => _listener.RecordObservableInstruments();

    /// <summary>Sum of every measurement of <paramref name="name"/> (counters: the total; histograms: the sum of values).</summary>
    public double Sum(string name, string? tag = null, string? value = null) =>
        Cells(name, tag, value).Sum(c => c.Sum);

    /// <summary>Number of measurements (histograms: observations).</summary>
    public long Count(string name, string? tag = null, string? value = null) =>
        Cells(name, tag, value).Sum(c => c.Count);

    /// <summary>Mean of the measurements, or NaN when there are none.</summary>
    public double Mean(string name, string? tag = null, string? value = null)
    {
        var count = Count(name, tag, value);
        return count == 0 ? double.NaN : Sum(name, tag, value) / count;
    }

    /// <summary>Largest last observation over the tag sets (gauges), or NaN.</summary>
    public double Last(string name) =>
        _values.TryGetValue(name, out var series) && !series.IsEmpty ? series.Values.Max(c => c.Last) : double.NaN;

    /// <summary>Sums grouped by one tag's value.</summary>
    public IReadOnlyDictionary<string, double> SumBy(string name, string tag, string? filterTag = null, string? filterValue = null)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (!_values.TryGetValue(name, out var series))
        {
            return result;
        }
        foreach (var (labels, cell) in series)
        {
            var tags = Parse(labels);
            if (filterTag is not null && (!tags.TryGetValue(filterTag, out var f) || f != filterValue))
            {
                continue;
            }
            var key = tags.GetValueOrDefault(tag, "");
            result[key] = result.GetValueOrDefault(key) + cell.Sum;
        }
        return result;
    }

    /// <summary>Means grouped by one tag's value.</summary>
    public IReadOnlyDictionary<string, double> MeanBy(string name, string tag)
    {
        var sums = new SortedDictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        if (_values.TryGetValue(name, out var series))
        {
            foreach (var (labels, cell) in series)
            {
                var key = Parse(labels).GetValueOrDefault(tag, "");
                var (s, n) = sums.GetValueOrDefault(key);
                sums[key] = (s + cell.Sum, n + cell.Count);
            }
        }
        return sums.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Count, StringComparer.Ordinal);
    }

    public void Dispose() => _listener.Dispose();

    private IEnumerable<Cell> Cells(string name, string? tag, string? value)
    {
        if (!_values.TryGetValue(name, out var series))
        {
            return [];
        }
        return tag is null ? series.Values : series.Where(kv => Parse(kv.Key).TryGetValue(tag, out var v) && v == value).Select(kv => kv.Value);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = tags.Length == 0 ? "" : string.Join('\u001f', tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
        var cell = _values.GetOrAdd(instrument.Name, _ => new(StringComparer.Ordinal)).GetOrAdd(labels, _ => new Cell());
        cell.Add(value);
    }

    private static Dictionary<string, string> Parse(string labels) =>
        labels.Length == 0
            ? []
            : labels.Split('\u001f').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    private sealed class Cell
    {
        private readonly Lock _gate = new();
        private double _sum;
        private long _count;
        private double _last = double.NaN;

        public double Sum
        {
            get
            {
                lock (_gate)
                {
                    return _sum;
                }
            }
        }

        public long Count
        {
            get
            {
                lock (_gate)
                {
                    return _count;
                }
            }
        }

        public double Last
        {
            get
            {
                lock (_gate)
                {
                    return _last;
                }
            }
        }

        public void Add(double value)
        {
            lock (_gate)
            {
                _sum += value;
                _count++;
                _last = value;
            }
        }
    }
}
