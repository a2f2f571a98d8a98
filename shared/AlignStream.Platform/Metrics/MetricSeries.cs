namespace AlignStream.Platform.Metrics;

/// <summary>One label set of a family and its aggregated state. Guarded by its own lock: writers are many threads.</summary>
internal sealed class MetricSeries
{
    private readonly Lock _gate = new();
    private double _value;
    private double _sum;
    private long _count;
    private readonly long[] _bucketCounts;

    public MetricSeries(string labels, int bucketCount)
    {
        Labels = labels;
        _bucketCounts = new long[bucketCount];
    }

    /// <summary>Rendered label pairs without braces, e.g. <c>arm="1",outcome="ok"</c>; empty when none.</summary>
    public string Labels { get; }

    public void Add(double delta)
    {
        lock (_gate)
        {
            _value += delta;
        }
    }

    public void Set(double value)
    {
        lock (_gate)
        {
            _value = value;
        }
    }

    /// <summary>Counts one histogram observation in the first bucket whose upper bound is at least the value (le semantics).</summary>
    public void Observe(double value, double[] bounds)
    {
        var i = Array.BinarySearch(bounds, value);
        if (i < 0)
        {
            i = ~i; // index of first bound greater than value; bounds.Length means the +Inf bucket
        }

        lock (_gate)
        {
            _bucketCounts[i]++;
            _sum += value;
            _count++;
        }
    }

    public double Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    /// <summary>A consistent copy of the histogram state: per-bucket (non-cumulative) counts, sum and count.</summary>
    public (long[] Buckets, double Sum, long Count) HistogramSnapshot()
    {
        lock (_gate)
        {
            return ((long[])_bucketCounts.Clone(), _sum, _count);
        }
    }
}
