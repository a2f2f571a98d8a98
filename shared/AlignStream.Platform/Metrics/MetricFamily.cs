using System.Collections.Concurrent;

namespace AlignStream.Platform.Metrics;

/// <summary>One exposed metric family (one name, one TYPE) and its series by label set.</summary>
internal sealed class MetricFamily
{
    // Span-keyed view of Series: looking up an already-known label set allocates no string.
    private readonly ConcurrentDictionary<string, MetricSeries>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public MetricFamily(string name, string help, MetricKind kind, double[] bounds)
    {
        Name = name;
        Help = help;
        Kind = kind;
        Bounds = bounds;
        _lookup = Series.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public string Help { get; }

    public MetricKind Kind { get; }

    /// <summary>Histogram upper bounds, ascending, without +Inf; empty for other kinds.</summary>
    public double[] Bounds { get; }

    public ConcurrentDictionary<string, MetricSeries> Series { get; } = new(StringComparer.Ordinal);

    /// <summary>True when values come from callbacks, so stale label sets are dropped before each collection.</summary>
    public bool ObservableSource { get; init; }

    /// <summary>The series for rendered labels; allocates only the first time a label set is seen.</summary>
    public MetricSeries GetSeries(ReadOnlySpan<char> labels) =>
        _lookup.TryGetValue(labels, out var existing)
            ? existing
            : Series.GetOrAdd(labels.ToString(), static (l, n) => new MetricSeries(l, n), Bounds.Length + 1);

    public string TypeName => Kind switch
    {
        MetricKind.Counter or MetricKind.ObservedCounter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };
}
