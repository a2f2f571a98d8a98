using System.Text.Json;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// The Grafana dashboard's queries, run against a real Prometheus that scrapes a real `align up` run: every query
/// must parse and evaluate, and the panels that show the loop's heartbeat must have data.
/// </summary>
[Collection(PrometheusCollection.Name)]
public sealed class DashboardTests : IDisposable
{
    /// <summary>Panels that must show data once the loop has published a version.</summary>
    private static readonly string[] MustHaveData =
    [
        "Policy version served", "Prompts / s", "Tokens / s", "Decode batch occupancy", "Reward score by model (mean)",
        "Bandit pulls per task and arm", "DPO loss", "Trainer backlog", "Consumer lag by topic", "CPU share outside the engine",
    ];

    private readonly PrometheusFixture _prometheus;
    private readonly TempFolder _temp = new("e2e-dash");

    public DashboardTests(PrometheusFixture prometheus) => _prometheus = prometheus;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Every_dashboard_query_evaluates_and_the_core_panels_show_a_running_loop()
    {
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "infra", "k8s", "grafana", "alignstream.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Select(p => (Title: p.GetProperty("title").GetString()!, Expr: p.GetProperty("targets")[0].GetProperty("expr").GetString()!))
            .ToList();
        Assert.All(MustHaveData, title => Assert.Contains(panels, p => p.Title == title));

        var model = TinyModel.Save(Path.Combine(_temp.Path, "model"), seed: 11);
        using var up = AlignProcess.StartAlign(_temp.Path, "up", "--Metrics:Port=0", "--run-dir", Path.Combine(_temp.Path, "run"),
            $"--Model:Path={model}", "--Scorer:RewardModels=length,afinn", "--Trainer:PublishEvery=1", "--Trainer:BatchSize=4",
            "--Trainer:MaxBatchWaitMs=200", "--Generator:Defaults:MaxNewTokens=24", "--Generator:Defaults:Candidates=4");
        var bootstrap = up.WaitForLine(l => l.Contains("bootstrap=", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "up's kafka line");
        bootstrap = bootstrap[(bootstrap.IndexOf("bootstrap=", StringComparison.Ordinal) + "bootstrap=".Length)..].Split(' ')[0];
        var metrics = new Uri(up.WaitForLine(l => l.TrimStart().StartsWith("metrics", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "up's metrics line")
            .Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        _prometheus.AddTarget($"{metrics.Host}:{metrics.Port}");

        var prompts = Path.Combine(_temp.Path, "prompts.jsonl");
        await File.WriteAllLinesAsync(prompts, Enumerable.Range(0, 64).Select(i => JsonSerializer.Serialize(new { text = $"Entry {i}: it was a", task = "sentiment" })));
        var (code, output) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "prompts", "push", "--file", prompts, "--bootstrap", bootstrap], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);

        await Eventually.WaitAsync(
            async () => (await _prometheus.QueryAsync("max(align_trainer_versions_published_total) >= 1")).Length > 0,
            TimeSpan.FromMinutes(4), "Prometheus seeing a published version", () => up.Tail(15) + "\n" + _prometheus.Tail());

        // Every query must evaluate; rate() and increase() need two scrapes of a series, so the panels that must show
        // data get a bounded wait rather than a single look.
        foreach (var (_, expr) in panels)
        {
            await _prometheus.QueryAsync(expr);
        }
        var empty = new List<string>();
        await Eventually.WaitAsync(async () =>
        {
            empty.Clear();
            foreach (var (title, expr) in panels.Where(p => MustHaveData.Contains(p.Title)))
            {
                if ((await _prometheus.QueryAsync(expr)).Length == 0)
                {
                    empty.Add($"{title}: {expr}");
                }
            }
            return empty.Count == 0;
        }, TimeSpan.FromMinutes(2), "every core panel showing data", () => "panels without data:\n" + string.Join('\n', empty));
        Assert.Equal(0, up.Interrupt(TimeSpan.FromSeconds(60)));
    }
}
