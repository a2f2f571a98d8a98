using System.Net.Http;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>`align up` as a user runs it: starts, says what runs where, serves /metrics and health, stops cleanly on Ctrl+C.</summary>
public sealed class UpCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("e2e");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Up_prints_where_things_run_serves_metrics_and_stops_cleanly()
    {
        using var up = AlignProcess.StartAlign(_temp.Path, "up", "--Metrics:Port=0", "--run-dir", Path.Combine(_temp.Path, "run"));
        var banner = up.WaitForLine(l => l.Contains("AlignStream up", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the start banner");
        Assert.Contains("single process", banner, StringComparison.Ordinal);
        var kafka = up.WaitForLine(l => l.TrimStart().StartsWith("kafka", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the kafka line");
        Assert.Matches(@"bootstrap=127\.0\.0\.1:\d+", kafka);
        var metricsLine = up.WaitForLine(l => l.TrimStart().StartsWith("metrics", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the metrics line");
        var url = metricsLine.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.EndsWith("/metrics", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var exposition = await http.GetStringAsync(new Uri(url));
        Assert.Contains("# TYPE align_host_uptime_seconds gauge", exposition, StringComparison.Ordinal);
        var health = await http.GetAsync(new Uri(new Uri(url), "/healthz"));
        Assert.True(health.IsSuccessStatusCode, $"/healthz answered {(int)health.StatusCode}");
        var ready = await http.GetAsync(new Uri(new Uri(url), "/readyz"));
        Assert.True(ready.IsSuccessStatusCode, $"/readyz answered {(int)ready.StatusCode}");

        // promtool is the reference parser of the exposition format: 0 = valid, 1 = parse error, 3 = lint problems.
        var file = Path.Combine(_temp.Path, "metrics.txt");
        await File.WriteAllTextAsync(file, exposition);
        var (code, output) = ServerProcess.RunToEnd("bash", ["-c", $"promtool check metrics < '{file}'"], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"promtool check metrics exited {code}: {output}");

        Assert.Equal(0, up.Interrupt(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("--Metrics:Port=-5", "Metrics:Port")]
    [InlineData("--Kafka:SessionTimeoutMs=100", "Kafka:SessionTimeoutMs")]
    public void A_wrong_configuration_value_exits_non_zero_naming_the_field(string arg, string field)
    {
        using var up = AlignProcess.StartAlign(_temp.Path, "up", arg, "--run-dir", Path.Combine(_temp.Path, "bad"));
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(60)), "align up with a bad value did not exit:\n" + up.Tail());
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains(field, up.Tail(400), StringComparison.Ordinal);
        Assert.Contains("configuration error", up.Tail(400), StringComparison.Ordinal);
    }
}
