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
        using var up = AlignProcess.StartAlign(_temp.Path, "up", "--Metrics:Port=0", "--run-dir", Path.Combine(_temp.Path, "run"), $"--Model:Path={Tiny()}",
            "--Demo:EvalPrompts=4", "--Demo:SentimentTokens=8");
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
    [InlineData("--Demo:Task=poetry", "Demo:Task")]
    public void A_wrong_configuration_value_exits_non_zero_naming_the_field(string arg, string field)
    {
        using var up = AlignProcess.StartAlign(_temp.Path, "up", arg, "--run-dir", Path.Combine(_temp.Path, "bad"), $"--Model:Path={Tiny()}");
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(60)), "align up with a bad value did not exit:\n" + up.Tail());
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains(field, up.Tail(400), StringComparison.Ordinal);
        Assert.Contains("configuration error", up.Tail(400), StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_demo_run_trains_a_new_version_evaluates_it_and_writes_the_report()
    {
        var report = Path.Combine(_temp.Path, "out", "report.json");
        using var up = AlignProcess.StartAlign(_temp.Path, "up", "--headless", "--max-versions", "1", "--report", report, "--seed", "11",
            "--Metrics:Port=0", "--run-dir", Path.Combine(_temp.Path, "demo"), $"--Model:Path={Tiny()}",
            "--Trainer:PublishEvery=1", "--Trainer:BatchSize=2", "--Trainer:MaxBatchWaitMs=200",
            "--Demo:EvalPrompts=6", "--Demo:EvalSamples=1", "--Demo:SentimentTokens=12", "--Demo:SeriesSeconds=1");
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(240)), "align up --max-versions 1 did not stop by itself:\n" + up.Tail());
        Assert.True(up.ExitCode == 0, $"align up exited {up.ExitCode}:\n" + up.Tail(60));
        var output = up.Tail(400);
        Assert.Contains("demo     tasks sentiment+arith", output, StringComparison.Ordinal);
        Assert.Contains("policy v", output, StringComparison.Ordinal);
        Assert.Contains("report: " + report, output, StringComparison.Ordinal);

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
        var root = doc.RootElement;
        var eval = root.GetProperty("eval").EnumerateArray().ToList();
        Assert.Contains(eval, e => e.GetProperty("policy_version").GetInt64() == 0);
        Assert.Contains(eval, e => e.GetProperty("policy_version").GetInt64() >= 1);
        Assert.Equal(["arith", "sentiment"], root.GetProperty("summary").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(2, root.GetProperty("summary").GetProperty("arith").GetProperty("ci95").GetArrayLength());
        Assert.True(root.GetProperty("bandit").EnumerateObject().Sum(t => t.Value.EnumerateObject().Sum(a => a.Value.GetDouble())) > 0, "no bandit pulls were reported");
        Assert.True(File.Exists(Path.ChangeExtension(report, ".html")), "the HTML report is missing");

        // The final checkpoint is a model folder the other verbs load.
        var final = root.GetProperty("final_checkpoint").GetString()!;
        Assert.NotEqual(root.GetProperty("base_checkpoint").GetString(), final);
        using var sample = AlignProcess.StartAlign(_temp.Path, "sample", "--model", final, "--prompt", "2+2=", "--n", "1", "--seed", "1", "--max-tokens", "4");
        Assert.True(sample.WaitForExit(TimeSpan.FromSeconds(60)) && sample.ExitCode == 0, "align sample on the final checkpoint failed:\n" + sample.Tail());
        using var logprobs = AlignProcess.StartAlign(_temp.Path, "logprobs", "--model", final, "--prompt", "2+2=", "--text", "4");
        Assert.True(logprobs.WaitForExit(TimeSpan.FromSeconds(60)) && logprobs.ExitCode == 0, "align logprobs on the final checkpoint failed:\n" + logprobs.Tail());
    }

    private string Tiny()
    {
        var folder = Path.Combine(_temp.Path, "tiny");
        return Directory.Exists(folder) ? folder : TinyModel.Save(folder, 3);
    }
}
