using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AlignStream.Platform.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Kafka instruments of a private meter factory plus a listener that sums what they record, isolated from other tests' meters.</summary>
public sealed class KafkaMetricsCapture : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, long> _gauges = new();

    /// <summary>Creates the instruments and starts listening to them only.</summary>
    public KafkaMetricsCapture()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = Key(instrument.Name, tags);
            if (instrument is ObservableGauge<long>)
            {
                _gauges[key] = value;
            }
            else
            {
                _sums.AddOrUpdate(key, value, (_, old) => old + value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _sums.AddOrUpdate(Key(instrument.Name, tags) + "#count", 1, (_, old) => old + 1));
        _listener.Start();
        Instruments = new KafkaInstruments(factory);
    }

    /// <summary>The instruments to hand to clients under test.</summary>
    public KafkaInstruments Instruments { get; }

    /// <summary>Sum of a counter's measurements whose tags include every given tag (name=value).</summary>
    public double Sum(string name, params string[] tags) =>
        _sums.Where(kv => Matches(kv.Key, name, tags) && !kv.Key.EndsWith("#count", StringComparison.Ordinal)).Sum(kv => kv.Value);

    /// <summary>Number of histogram recordings matching.</summary>
    public double Count(string name, params string[] tags) =>
        _sums.Where(kv => kv.Key.EndsWith("#count", StringComparison.Ordinal) && Matches(kv.Key[..^"#count".Length], name, tags)).Sum(kv => kv.Value);

    /// <summary>Observes gauges now and returns the last value of each matching series.</summary>
    public IReadOnlyDictionary<string, long> Gauges(string name, params string[] tags)
    {
        _listener.RecordObservableInstruments();
        return _gauges.Where(kv => Matches(kv.Key, name, tags)).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private static string Key(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var t in tags)
        {
            parts.Add($"{t.Key}={t.Value}");
        }
        parts.Sort(StringComparer.Ordinal);
        return name + "{" + string.Join(",", parts) + "}";
    }

    private static bool Matches(string key, string name, string[] tags) =>
        key.StartsWith(name + "{", StringComparison.Ordinal) && tags.All(t => key.Contains(t, StringComparison.Ordinal));
}
