using System.Diagnostics.Metrics;
using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Tests.Metrics;

/// <summary>The collector's exposition text for each instrument kind, compared line for line with hand-written expectations.</summary>
public sealed class PrometheusMetricsCollectorTests : IDisposable
{
    private readonly Meter _meter = new("AlignStream.Tests." + Guid.NewGuid().ToString("N"));
    private readonly PrometheusMetricsCollector _collector;

    public PrometheusMetricsCollectorTests()
    {
        // Only this test's meter: tests run in parallel and each has its own.
        _collector = new PrometheusMetricsCollector(m => ReferenceEquals(m, _meter));
    }

    [Fact]
    public void Counter_gets_total_help_type_and_escaped_labels()
    {
        var c = _meter.CreateCounter<long>("align_test_requests", "{request}", "Requests\nby path \\ kind.");
        c.Add(2, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"), new KeyValuePair<string, object?>("kind", "x"));
        c.Add(3, new KeyValuePair<string, object?>("kind", "x"), new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));
        c.Add(1);

        Assert.Equal(
            """
            # HELP align_test_requests_total Requests\nby path \\ kind.
            # TYPE align_test_requests_total counter
            align_test_requests_total 1
            align_test_requests_total{kind="x",path="a\"b\\c\nd"} 5

            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            _collector.Collect());
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_with_inf_sum_and_count()
    {
        var h = _meter.CreateHistogram("align_test_latency", "s", "Latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5] });
        foreach (var v in new[] { 0.5, 1, 3, 7 })
        {
            h.Record(v, new KeyValuePair<string, object?>("stage", "score"));
        }

        Assert.Equal(
            """
            # HELP align_test_latency_seconds Latency.
            # TYPE align_test_latency_seconds histogram
            align_test_latency_seconds_bucket{stage="score",le="1"} 2
            align_test_latency_seconds_bucket{stage="score",le="2"} 2
            align_test_latency_seconds_bucket{stage="score",le="5"} 3
            align_test_latency_seconds_bucket{stage="score",le="+Inf"} 4
            align_test_latency_seconds_sum{stage="score"} 11.5
            align_test_latency_seconds_count{stage="score"} 4

            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            _collector.Collect());
    }

    [Fact]
    public void Histogram_without_advice_uses_default_buckets()
    {
        var h = _meter.CreateHistogram<int>("align_test_sizes", "By", "Sizes.");
        h.Record(3);
        var text = _collector.Collect();
        var buckets = text.Split('\n').Where(l => l.StartsWith("align_test_sizes_bytes_bucket", StringComparison.Ordinal)).ToArray();
        Assert.Equal(PrometheusMetricsCollector.DefaultBuckets.Count + 1, buckets.Length);
        Assert.Equal("align_test_sizes_bytes_bucket{le=\"2.5\"} 0", buckets[8]);
        Assert.Equal("align_test_sizes_bytes_bucket{le=\"5\"} 1", buckets[9]);
        Assert.Equal("align_test_sizes_bytes_bucket{le=\"+Inf\"} 1", buckets[^1]);
        Assert.Contains("align_test_sizes_bytes_sum 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gauges_and_up_down_counters()
    {
        var updown = _meter.CreateUpDownCounter<int>("align_test_inflight", null, "In flight.");
        updown.Add(5);
        updown.Add(-2);
        var gauge = _meter.CreateGauge<double>("align_test_loss", null, "Loss.");
        gauge.Record(0.75);
        gauge.Record(0.5);
        var observedCounter = 40L;
        _meter.CreateObservableCounter("align_test_observed", () => observedCounter, "{item}", "Observed counter.");
        _meter.CreateObservableGauge("align_test_depth", () => new Measurement<long>(9, new KeyValuePair<string, object?>("queue", "q1")), null, "Depth.");
        _meter.CreateObservableUpDownCounter("align_test_free", () => -4.5, "By", "Free.");

        var expected = """
            # HELP align_test_depth Depth.
            # TYPE align_test_depth gauge
            align_test_depth{queue="q1"} 9
            # HELP align_test_free_bytes Free.
            # TYPE align_test_free_bytes gauge
            align_test_free_bytes -4.5
            # HELP align_test_inflight In flight.
            # TYPE align_test_inflight gauge
            align_test_inflight 3
            # HELP align_test_loss Loss.
            # TYPE align_test_loss gauge
            align_test_loss 0.5
            # HELP align_test_observed_total Observed counter.
            # TYPE align_test_observed_total counter
            align_test_observed_total 40

            """.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Equal(expected, _collector.Collect());

        // Observable counters report the cumulative value: a later scrape shows the new value, not a sum.
        observedCounter = 45;
        Assert.Contains("align_test_observed_total 45\n", _collector.Collect(), StringComparison.Ordinal);
    }

    [Fact]
    public void Instruments_of_unlistened_meters_are_ignored_and_empty_families_are_omitted()
    {
        using var other = new Meter("SomethingElse");
        other.CreateCounter<long>("align_test_foreign").Add(1);
        _meter.CreateCounter<long>("align_test_never_used");
        Assert.Equal("", _collector.Collect());
    }

    [Fact]
    public void Missing_description_gets_a_help_line_anyway()
    {
        _meter.CreateCounter<long>("align_test_nohelp").Add(1);
        Assert.StartsWith($"# HELP align_test_nohelp_total align_test_nohelp from meter {_meter.Name}\n", _collector.Collect(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_counter_adds_are_all_counted()
    {
        var c = _meter.CreateCounter<long>("align_test_parallel");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                c.Add(1, new KeyValuePair<string, object?>("worker", t % 2));
            }
        })));
        var text = _collector.Collect();
        Assert.Contains("align_test_parallel_total{worker=\"0\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Contains("align_test_parallel_total{worker=\"1\"} 40000\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_sanitise_names_merge_static_tags_and_let_measurement_tags_win()
    {
        var c = _meter.CreateCounter<int>("align_test_labelled", null, "Labelled.",
            [new("instance", "static-i"), new("zone", "z1")]);
        var longValue = new string('v', 300) + "\\"; // longer than the renderer's first buffer
        c.Add(1, new("http.route", "/x"), new("instance", "override"), new("ok", true), new("n", 42L), new("big", longValue));

        var line = _collector.Collect().Split('\n')[2];
        Assert.Equal(
            $"align_test_labelled_total{{big=\"{new string('v', 300)}\\\\\",http_route=\"/x\",instance=\"override\",n=\"42\",ok=\"true\",zone=\"z1\"}} 1",
            line);
    }

    [Fact]
    public void Same_tags_in_any_order_are_one_series()
    {
        var c = _meter.CreateCounter<long>("align_test_order");
        c.Add(1, new("b", 2), new("a", 1), new("c", 3));
        c.Add(1, new("c", 3), new("b", 2), new("a", 1));
        c.Add(1, new("a", 1), new("c", 3), new("b", 2));
        Assert.EndsWith("align_test_order_total{a=\"1\",b=\"2\",c=\"3\"} 3\n", _collector.Collect(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }
}
