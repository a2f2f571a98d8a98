using System.Diagnostics.Metrics;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Platform.Tests.Metrics;

/// <summary>Debian's <c>promtool check metrics</c> (parser and linter) accepts what a real host serves.</summary>
public sealed class PromtoolCheckTests
{
    [Fact]
    public async Task Promtool_accepts_the_exposition_of_a_host_with_counters_gauges_and_histograms()
    {
        var builder = TestHosts.CreateBuilder();
        await using var app = await TestHosts.StartAsync(builder);
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var meter = factory.Create("AlignStream.Tests.Promtool");
        meter.CreateCounter<long>("align_test_records", "{record}", "Records by topic.")
            .Add(3, new KeyValuePair<string, object?>("topic", "align.prompts"));
        meter.CreateCounter<double>("align_test_bytes_out", "By", "Bytes written.").Add(1024.5);
        meter.CreateHistogram("align_test_step_duration", "s", "Step time.",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] })
            .Record(0.05, new KeyValuePair<string, object?>("stage", "train \"fast\"\npath\\x"));
        meter.CreateGauge<int>("align_test_policy_version", null, "Served version.").Record(7, new KeyValuePair<string, object?>("generator", "g-0"));
        meter.CreateObservableGauge("align_test_queue_depth", () => 4, "{pair}", "Queue depth.");
        meter.CreateUpDownCounter<long>("align_test_inflight", "{request}", "In flight.").Add(2);
        // Also exercise the platform instruments (they have labels and a histogram of their own).
        var platform = app.Services.GetRequiredService<PlatformInstruments>();
        platform.StateOperationCompleted("get_manifest", ok: true, TimeSpan.FromMilliseconds(0.3));
        platform.MessageConsumed("PolicyWeightsPublished", ok: false);

        using var http = new HttpClient();
        using var response = await http.GetAsync(app.GetMetricsUri());
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("align_test_records_total{topic=\"align.prompts\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("align_test_step_duration_seconds_bucket{stage=\"train \\\"fast\\\"\\npath\\\\x\",le=\"0.1\"} 1\n", text, StringComparison.Ordinal);

        var (exitCode, output) = RunPromtool(text);
        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode} (1 = parse error, 3 = lint problems): {output}\n--- exposition ---\n{text}");
    }

    private static (int ExitCode, string Output) RunPromtool(string exposition)
    {
        using var dir = new TempFolder("promtool");
        var file = Path.Combine(dir.Path, "metrics.txt");
        File.WriteAllText(file, exposition);
        // promtool reads the exposition on stdin; a shell redirect keeps the helper simple.
        return ServerProcess.RunToEnd("sh", ["-c", "promtool check metrics < \"$0\"", file], TimeSpan.FromSeconds(60));
    }
}
