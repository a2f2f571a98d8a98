using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Weights;

/// <summary>Hot-swap instruments, labelled by kind (policy or reference).</summary>
public sealed class WeightsInstruments
{
    private static readonly IReadOnlyList<double> SwapBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly Histogram<double> _swapDuration;
    private readonly Histogram<double> _publishToServing;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _swaps;
    private readonly Dictionary<string, long> _serving = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public WeightsInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MetricNames.Meters.Platform);
        _swapDuration = meter.CreateHistogram(MetricNames.Weights.SwapDuration, "s", "Time to verify, load and flip to a new weights version.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SwapBuckets });
        _publishToServing = meter.CreateHistogram(MetricNames.Weights.PublishToServing, "s", "Time from a version's publication to serving it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SwapBuckets });
        _refusals = meter.CreateCounter<long>(MetricNames.Weights.Refusals, "{version}", "Weights versions refused, by reason.");
        _swaps = meter.CreateCounter<long>(MetricNames.Weights.Swaps, "{version}", "Weights versions swapped in.");
        meter.CreateObservableGauge(MetricNames.Weights.ServingVersion, ObserveServing, "{version}", "Weights version being served.");
    }

    public void Serving(string kind, long version)
    {
        lock (_gate)
        {
            _serving[kind] = version;
        }
    }

    public void Swapped(string kind, TimeSpan swap, TimeSpan sincePublished)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _swaps.Add(1, tag);
        _swapDuration.Record(swap.TotalSeconds, tag);
        _publishToServing.Record(Math.Max(0, sincePublished.TotalSeconds), tag);
    }

    public void Refused(string kind, string reason) =>
        _refusals.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("reason", reason));

    private IEnumerable<Measurement<long>> ObserveServing()
    {
        lock (_gate)
        {
            return _serving.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("kind", kv.Key))).ToArray();
        }
    }
}
