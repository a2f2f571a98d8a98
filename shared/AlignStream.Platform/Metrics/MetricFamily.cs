using System.Collections.Concurrent;

namespace AlignStream.Platform.Metrics;

/// <summary>One exposed metric family (one name, one TYPE) and its series by label set.</summary>
internal sealed class MetricFamily(string name, string help, MetricKind kind, double[] bounds)
{
    public string Name { get; } = name;

    public string Help { get; } = help;

    public MetricKind Kind { get; } = kind;

    /// <summary>Histogram upper bounds, ascending, without +Inf; empty for other kinds.</summary>
    public double[] Bounds { get; } = bounds;

    public ConcurrentDictionary<string, MetricSeries> Series { get; } = new(StringComparer.Ordinal);

    /// <summary>True when values come from callbacks, so stale label sets are dropped before each collection.</summary>
    public bool ObservableSource { get; init; }

    public MetricSeries GetSeries(string labels) =>
        Series.GetOrAdd(labels, static (l, n) => new MetricSeries(l, n), Bounds.Length + 1);

    public string TypeName => Kind switch
    {
        MetricKind.Counter or MetricKind.ObservedCounter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };
}
