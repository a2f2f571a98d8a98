using System.Diagnostics.Metrics;
using System.Text.Json;
using AlignStream.Cli.Demo;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Metrics;

namespace AlignStream.Pretrain.Tests.Demo;

/// <summary>The run report's JSON schema (what the issue and downstream scripts read) and its HTML page.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly TempFolder _temp = new("report");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Json_has_the_documented_fields_and_the_html_page_has_charts()
    {
        var options = new DemoOptions { Task = "mixed", Seed = 5, BootstrapResamples = 500 };
        var run = new DemoRun(options, "/models/base");
        run.RecordEval(0, "/models/base", [Eval("sentiment", [0.0, 0.1, -0.1, 0.0]), Eval("arith", [0, 1, 0, 0])]);
        run.RecordSeries(new SeriesPoint(5, 1, 2.5, 300, 0.69, 0.01, 40, 3,
            new Dictionary<string, IReadOnlyDictionary<string, double>> { ["arith"] = new Dictionary<string, double> { ["arith"] = 4 } },
            new Dictionary<string, double> { ["afinn"] = 0.2 }));
        run.RecordEval(3, "/weights/sha256-abc", [Eval("sentiment", [0.5, 0.4, 0.3, 0.6]), Eval("arith", [1, 1, 0, 1])]);

        using var telemetry = new DemoTelemetry();
        using (var meter = new Meter("AlignStream.Scorer.Test"))
        {
            var pulls = meter.CreateCounter<long>(MetricNames.Scorer.BanditSelections);
            pulls.Add(7, new KeyValuePair<string, object?>("arm", "arith"), new KeyValuePair<string, object?>("task", "arith"));
            pulls.Add(2, new KeyValuePair<string, object?>("arm", "afinn"), new KeyValuePair<string, object?>("task", "arith"));
            pulls.Add(9, new KeyValuePair<string, object?>("arm", "afinn"), new KeyValuePair<string, object?>("task", "sentiment"));
        }

        var report = RunReport.From(run, telemetry, "align up --minutes 1", DateTimeOffset.UnixEpoch);
        var html = report.Write(Path.Combine(_temp.Path, "out.json"));

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.Path, "out.json")));
        var root = doc.RootElement;
        Assert.Equal("/weights/sha256-abc", root.GetProperty("final_checkpoint").GetString());
        Assert.Equal("/models/base", root.GetProperty("base_checkpoint").GetString());
        var eval = root.GetProperty("eval").EnumerateArray().ToList();
        Assert.Equal(4, eval.Count);
        foreach (var row in eval)
        {
            foreach (var field in new[] { "policy_version", "time_s", "task", "gold", "proxy" })
            {
                Assert.True(row.TryGetProperty(field, out _), $"eval row lacks {field}: {row}");
            }
        }
        Assert.Equal([0L, 0, 3, 3], eval.Select(e => e.GetProperty("policy_version").GetInt64()));

        var arith = root.GetProperty("summary").GetProperty("arith");
        Assert.Equal(0.25, arith.GetProperty("base").GetDouble(), 9);
        Assert.Equal(0.75, arith.GetProperty("final").GetDouble(), 9);
        var ci = arith.GetProperty("ci95").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(2, ci.Length);
        Assert.True(ci[0] <= 0.5 && 0.5 <= ci[1], $"ci95 [{ci[0]}, {ci[1]}] does not hold the mean difference 0.5");
        Assert.Equal(0.45, root.GetProperty("summary").GetProperty("sentiment").GetProperty("final").GetDouble() - root.GetProperty("summary").GetProperty("sentiment").GetProperty("base").GetDouble(), 9);

        var bandit = root.GetProperty("bandit");
        Assert.Equal(7, bandit.GetProperty("arith").GetProperty("arith").GetDouble());
        Assert.Equal(2, bandit.GetProperty("arith").GetProperty("afinn").GetDouble());
        Assert.Equal(9, bandit.GetProperty("sentiment").GetProperty("afinn").GetDouble());
        Assert.Single(root.GetProperty("series").EnumerateArray());

        var page = File.ReadAllText(html);
        Assert.EndsWith(".html", html, StringComparison.Ordinal);
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains("<polyline", page, StringComparison.Ordinal);
        Assert.Contains("VADER compound", page, StringComparison.Ordinal);
        Assert.Contains("/weights/sha256-abc", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_versions_completes_the_run_after_that_many_new_versions()
    {
        var run = new DemoRun(new DemoOptions { MaxVersions = 2 }, "base");
        run.RecordEval(0, "base", [Eval("arith", [0, 1])]);
        Assert.False(run.Finished.IsCompleted);
        run.RecordEval(1, "v1", [Eval("arith", [0, 1])]);
        Assert.False(run.Finished.IsCompleted);
        run.RecordEval(4, "v4", [Eval("arith", [1, 1])]);
        Assert.True(run.Finished.IsCompleted);
        Assert.Equal(2, run.NewVersionsEvaluated);
        Assert.Equal("v4", run.FinalCheckpoint);
    }

    private static TaskEval Eval(string task, double[] perPrompt) => new(task, perPrompt.Average(), perPrompt.Average() * 2, perPrompt, ["a|b"]);
}
