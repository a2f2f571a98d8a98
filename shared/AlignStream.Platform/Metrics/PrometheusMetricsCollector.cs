using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AlignStream.Platform.Metrics;

/// <summary>
/// Listens to System.Diagnostics.Metrics instruments of AlignStream meters and writes their current state in
/// the Prometheus text exposition format 0.0.4. One per process (a DI singleton, see
/// <see cref="MetricsServiceCollectionExtensions.AddAlignMetrics"/>); thread-safe.
/// </summary>
public sealed class PrometheusMetricsCollector : IDisposable
{
    /// <summary>Prometheus client defaults, in seconds: used when an instrument gives no bucket advice.</summary>
    public static readonly IReadOnlyList<double> DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Func<Meter, bool> _meterFilter;
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _collectGate = new();

    /// <summary>Listens to meters whose name starts with <see cref="MetricNames.Meters.Prefix"/>.</summary>
    public PrometheusMetricsCollector()
        : this(m => m.Name.StartsWith(MetricNames.Meters.Prefix, StringComparison.Ordinal))
    {
    }

    /// <summary>
    /// Listens to the meters <paramref name="meterFilter"/> accepts. The DI registration passes a filter that
    /// also requires the meter to come from this container's IMeterFactory (or none), so two hosts in one
    /// process (tests) do not mix their numbers.
    /// </summary>
    public PrometheusMetricsCollector(Func<Meter, bool> meterFilter)
    {
        ArgumentNullException.ThrowIfNull(meterFilter);
        _meterFilter = meterFilter;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<double>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<float>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<long>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<int>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<short>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<byte>(static (i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<decimal>(static (i, v, t, s) => Record(s, (double)v, t));
        _listener.Start();
    }

    /// <summary>Collects observable instruments and returns the whole exposition text.</summary>
    public string Collect()
    {
        var sb = new StringBuilder(4096);
        using var writer = new StringWriter(sb, CultureInfo.InvariantCulture);
        WriteTo(writer);
        return sb.ToString();
    }

    /// <summary>Collects observable instruments and writes the exposition to <paramref name="writer"/> (LF line ends).</summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_collectGate)
        {
            // Observable values are re-read every scrape; a label set no callback reports any more disappears.
            foreach (var f in _families.Values)
            {
                if (f.ObservableSource)
                {
                    f.Series.Clear();
                }
            }

            _listener.RecordObservableInstruments();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                WriteFamily(writer, family);
            }
        }
    }

    private static void WriteFamily(TextWriter w, MetricFamily f)
    {
        var series = f.Series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal).ToArray();
        if (series.Length == 0)
        {
            return;
        }

        w.Write("# HELP ");
        w.Write(f.Name);
        w.Write(' ');
        w.Write(PrometheusText.EscapeHelp(f.Help));
        w.Write('\n');
        w.Write("# TYPE ");
        w.Write(f.Name);
        w.Write(' ');
        w.Write(f.TypeName);
        w.Write('\n');
        foreach (var s in series)
        {
            if (f.Kind == MetricKind.Histogram)
            {
                WriteHistogram(w, f, s);
            }
            else
            {
                WriteSample(w, f.Name, s.Labels, null, PrometheusText.FormatValue(s.Value));
            }
        }
    }

    private static void WriteHistogram(TextWriter w, MetricFamily f, MetricSeries s)
    {
        var (buckets, sum, count) = s.HistogramSnapshot();
        var bucketName = f.Name + "_bucket";
        long cumulative = 0;
        for (var i = 0; i < f.Bounds.Length; i++)
        {
            cumulative += buckets[i];
            WriteSample(w, bucketName, s.Labels, "le=\"" + PrometheusText.FormatValue(f.Bounds[i]) + "\"",
                cumulative.ToString(CultureInfo.InvariantCulture));
        }

        WriteSample(w, bucketName, s.Labels, "le=\"+Inf\"", count.ToString(CultureInfo.InvariantCulture));
        WriteSample(w, f.Name + "_sum", s.Labels, null, PrometheusText.FormatValue(sum));
        WriteSample(w, f.Name + "_count", s.Labels, null, count.ToString(CultureInfo.InvariantCulture));
    }

    private static void WriteSample(TextWriter w, string name, string labels, string? extraLabel, string value)
    {
        w.Write(name);
        if (labels.Length > 0 || extraLabel is not null)
        {
            w.Write('{');
            w.Write(labels);
            if (extraLabel is not null)
            {
                if (labels.Length > 0)
                {
                    w.Write(',');
                }

                w.Write(extraLabel);
            }

            w.Write('}');
        }

        w.Write(' ');
        w.Write(value);
        w.Write('\n');
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meterFilter(instrument.Meter))
        {
            return;
        }

        var kind = KindOf(instrument);
        if (kind is null)
        {
            return;
        }

        var isCounter = kind is MetricKind.Counter or MetricKind.ObservedCounter;
        var name = PrometheusText.FamilyName(instrument.Name, instrument.Unit, isCounter);
        var help = string.IsNullOrWhiteSpace(instrument.Description)
            ? $"{instrument.Name} from meter {instrument.Meter.Name}"
            : instrument.Description;
        var bounds = kind == MetricKind.Histogram ? BucketsOf(instrument) : [];
        var family = _families.GetOrAdd(name, _ => new MetricFamily(name, help, kind.Value, bounds)
        {
            ObservableSource = instrument.IsObservable,
        });

        // Two instruments may share a name (same code in two meters); they feed one family only if the kinds agree.
        if (family.Kind != kind.Value)
        {
            return;
        }

        listener.EnableMeasurementEvents(instrument, new InstrumentState(family, StaticLabels(instrument)));
    }

    private static MetricKind? KindOf(Instrument instrument)
    {
        if (!instrument.GetType().IsGenericType)
        {
            return null;
        }

        var def = instrument.GetType().GetGenericTypeDefinition();
        if (def == typeof(Counter<>))
        {
            return MetricKind.Counter;
        }

        if (def == typeof(ObservableCounter<>))
        {
            return MetricKind.ObservedCounter;
        }

        if (def == typeof(UpDownCounter<>))
        {
            return MetricKind.SummingGauge;
        }

        if (def == typeof(Histogram<>))
        {
            return MetricKind.Histogram;
        }

        if (def == typeof(Gauge<>) || def == typeof(ObservableGauge<>) || def == typeof(ObservableUpDownCounter<>))
        {
            return MetricKind.LastValueGauge;
        }

        return null;
    }

    private static double[] BucketsOf(Instrument instrument)
    {
        IEnumerable<double>? advice = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Histogram<short> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Histogram<byte> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Histogram<decimal> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            _ => null,
        };
        return (advice ?? DefaultBuckets).Where(double.IsFinite).Distinct().Order().ToArray();
    }

    private static KeyValuePair<string, string>[] StaticLabels(Instrument instrument)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        if (instrument.Meter.Tags is { } meterTags)
        {
            tags.AddRange(meterTags);
        }

        if (instrument.Tags is { } instrumentTags)
        {
            tags.AddRange(instrumentTags);
        }

        return tags.Select(t => new KeyValuePair<string, string>(
            PrometheusText.SanitizeLabelName(t.Key), PrometheusText.FormatTagValue(t.Value))).ToArray();
    }

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is not InstrumentState st)
        {
            return;
        }

        var series = st.Family.GetSeries(LabelRenderer.Render(st.StaticLabels, tags));
        switch (st.Family.Kind)
        {
            case MetricKind.Counter:
            case MetricKind.SummingGauge:
                series.Add(value);
                break;
            case MetricKind.Histogram:
                series.Observe(value, st.Family.Bounds);
                break;
            default:
                series.Set(value);
                break;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private sealed record InstrumentState(MetricFamily Family, KeyValuePair<string, string>[] StaticLabels);
}
