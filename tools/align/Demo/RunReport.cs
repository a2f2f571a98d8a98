using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignStream.Cli.Demo;

/// <summary>Base and final gold metric of one task, with the paired bootstrap interval of the difference.</summary>
public sealed record TaskSummary(string Metric, double Base, double Final, double Delta, double[] Ci95, int Prompts, long FinalPolicyVersion);

/// <summary>
/// The run report of `align up`: the eval rows per version, the per-task summary, the bandit's pulls per task and arm,
/// and the time series; written as JSON (the schema tests read) and as one self-contained HTML page with SVG charts.
/// </summary>
public sealed record RunReport(
    string Command,
    ulong Seed,
    IReadOnlyList<string> Tasks,
    DateTimeOffset StartedUtc,
    double DurationS,
    string BaseCheckpoint,
    string FinalCheckpoint,
    long FinalPolicyVersion,
    IReadOnlyList<EvalPoint> Eval,
    IReadOnlyDictionary<string, TaskSummary> Summary,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Bandit,
    IReadOnlyList<SeriesPoint> Series,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> Samples)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Builds the report from a finished run.</summary>
    public static RunReport From(DemoRun run, DemoTelemetry telemetry, string command, DateTimeOffset started)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(telemetry);
        var options = run.Options;
        var summary = new SortedDictionary<string, TaskSummary>(StringComparer.Ordinal);
        var samples = new SortedDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>(StringComparer.Ordinal);
        var finalVersion = run.Eval.Count == 0 ? 0 : run.Eval.Max(e => e.PolicyVersion);
        foreach (var task in options.Tasks)
        {
            if (run.Compare(task) is not var (b, l))
            {
                continue;
            }
            var (lo, hi) = Bootstrap.MeanDifferenceCi95(b.GoldPerPrompt, l.GoldPerPrompt, options.BootstrapResamples,
                AlignStream.Engine.Sampling.Xoshiro256.DeriveSeed(options.Seed, "bootstrap-" + task));
            summary[task] = new TaskSummary(task == DemoTasks.Arith ? "exact accuracy" : "VADER compound", b.Gold, l.Gold, l.Gold - b.Gold, [lo, hi], b.GoldPerPrompt.Length, finalVersion);
            samples[task] = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["base"] = b.Samples, ["final"] = l.Samples };
        }
        var bandit = new SortedDictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        foreach (var task in options.Tasks)
        {
            bandit[task] = telemetry.SumBy(AlignStream.Platform.Metrics.MetricNames.Scorer.BanditSelections, "arm", "task", task);
        }
        return new RunReport(command, options.Seed, options.Tasks, started, run.ElapsedSeconds, run.BaseCheckpoint, run.FinalCheckpoint, finalVersion,
            run.Eval, summary, bandit, run.Series, samples);
    }

    /// <summary>Writes <paramref name="jsonPath"/> and the HTML page next to it (same name, .html); returns the HTML path.</summary>
    public string Write(string jsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonPath);
        var full = Path.GetFullPath(jsonPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, JsonSerializer.Serialize(this, Json));
        var html = Path.ChangeExtension(full, ".html");
        File.WriteAllText(html, ToHtml());
        return html;
    }

    /// <summary>One self-contained page: the summary table, charts of eval, rewards, loss/KL and throughput, and the pulls.</summary>
    public string ToHtml()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>AlignStream run report</title><style>")
          .Append("body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
          .Append("th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}svg{background:#fcfcfc;border:1px solid #ddd;margin:4px 0}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}")
          .Append("</style></head><body>");
        sb.Append("<h1>AlignStream run report</h1>");
        sb.Append(c, $"<p>{Esc(Command)} · seed {Seed} · {DurationS / 60:F1} minutes · tasks {Esc(string.Join(", ", Tasks))} · final policy version {FinalPolicyVersion}</p>");
        sb.Append(c, $"<p>Base checkpoint <code>{Esc(BaseCheckpoint)}</code><br>Final checkpoint <code>{Esc(FinalCheckpoint)}</code></p>");
        sb.Append("<h2>Held-out eval: base against final</h2><table><tr><th>task</th><th>metric</th><th>base</th><th>final</th><th>change</th><th>95% interval (paired bootstrap)</th><th>prompts</th></tr>");
        foreach (var (task, s) in Summary)
        {
            sb.Append(c, $"<tr><td>{Esc(task)}</td><td>{Esc(s.Metric)}</td><td>{s.Base:F3}</td><td>{s.Final:F3}</td><td>{s.Delta:+0.000;-0.000}</td><td>[{s.Ci95[0]:+0.000;-0.000}, {s.Ci95[1]:+0.000;-0.000}]</td><td>{s.Prompts}</td></tr>");
        }
        sb.Append("</table>");

        sb.Append("<h2>Gold metric per policy version</h2>");
        sb.Append(Chart("gold metric against time (s)", Tasks.Select(t => (t, (IReadOnlyList<(double, double)>)Eval.Where(e => e.Task == t).Select(e => (e.TimeS, e.Gold)).ToList())).ToList()));
        sb.Append("<h2>Proxy reward on the eval set</h2>");
        sb.Append(Chart("proxy reward against time (s)", Tasks.Select(t => (t, (IReadOnlyList<(double, double)>)Eval.Where(e => e.Task == t).Select(e => (e.TimeS, e.Proxy)).ToList())).ToList()));
        var models = Series.SelectMany(p => p.ProxyRewards.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        sb.Append("<h2>Training rewards per reward model (mean per candidate in each interval)</h2>");
        sb.Append(Chart("reward against time (s)", models.Select(m => (m, (IReadOnlyList<(double, double)>)Series.Where(p => p.ProxyRewards.ContainsKey(m)).Select(p => (p.TimeS, p.ProxyRewards[m])).ToList())).ToList()));
        sb.Append("<h2>Trainer loss and KL to the reference</h2>");
        sb.Append(Chart("value against time (s)", [("loss", Series.Select(p => (p.TimeS, p.Loss)).ToList()), ("kl to reference", Series.Select(p => (p.TimeS, p.KlToReference)).ToList())]));
        sb.Append("<h2>Throughput and policy version</h2>");
        sb.Append(Chart("per second against time (s)", [("prompts/s", Series.Select(p => (p.TimeS, p.PromptsPerS)).ToList()), ("tokens/s ÷ 100", Series.Select(p => (p.TimeS, p.TokensPerS / 100)).ToList())]));
        sb.Append(Chart("policy version against time (s)", [("policy version", Series.Select(p => (p.TimeS, (double)p.PolicyVersion)).ToList())]));
        sb.Append("<h2>LASeR pulls per task and arm</h2><table><tr><th>task</th>");
        var arms = Bandit.Values.SelectMany(d => d.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var arm in arms)
        {
            sb.Append(c, $"<th>{Esc(arm)}</th>");
        }
        sb.Append("</tr>");
        foreach (var (task, pulls) in Bandit)
        {
            sb.Append(c, $"<tr><td>{Esc(task)}</td>");
            foreach (var arm in arms)
            {
                sb.Append(c, $"<td>{pulls.GetValueOrDefault(arm):F0}</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table>");
        sb.Append("<h2>Eval samples (prompt|continuation)</h2>");
        foreach (var (task, sets) in Samples)
        {
            foreach (var (which, lines) in sets)
            {
                sb.Append(c, $"<h3>{Esc(task)}, {Esc(which)}</h3><pre>{Esc(string.Join('\n', lines))}</pre>");
            }
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    /// <summary>A line chart of named series as inline SVG, with axis ranges and a legend.</summary>
    private static string Chart(string title, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series)
    {
        var c = CultureInfo.InvariantCulture;
        const double W = 900, H = 260, L = 60, R = 150, T = 20, B = 30;
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var sb = new StringBuilder();
        sb.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{Esc(title)}</title>");
        if (points.Count == 0)
        {
            sb.Append(c, $"<text x=\"{L}\" y=\"{H / 2}\">no data</text></svg>");
            return sb.ToString();
        }
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X), y0 = points.Min(p => p.Y), y1 = points.Max(p => p.Y);
        if (x1 - x0 < 1e-9)
        {
            x1 = x0 + 1;
        }
        if (y1 - y0 < 1e-9)
        {
            y0 -= 0.5;
            y1 += 0.5;
        }
        double X(double x) => L + ((x - x0) / (x1 - x0) * (W - L - R));
        double Y(double y) => H - B - ((y - y0) / (y1 - y0) * (H - T - B));
        sb.Append(c, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#888\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#888\"/>");
        sb.Append(c, $"<text x=\"{L - 4}\" y=\"{Y(y1) + 4:F1}\" font-size=\"11\" text-anchor=\"end\">{y1:G4}</text><text x=\"{L - 4}\" y=\"{Y(y0) + 4:F1}\" font-size=\"11\" text-anchor=\"end\">{y0:G4}</text>");
        sb.Append(c, $"<text x=\"{L}\" y=\"{H - 8}\" font-size=\"11\">{x0:F0}</text><text x=\"{W - R}\" y=\"{H - 8}\" font-size=\"11\" text-anchor=\"end\">{x1:F0}</text>");
        sb.Append(c, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 8}\" font-size=\"11\" text-anchor=\"middle\">{Esc(title)}</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var pts = series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (pts.Count > 0)
            {
                sb.Append(c, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', pts.Select(p => string.Create(c, $"{X(p.X):F1},{Y(p.Y):F1}")))}\"/>");
                foreach (var p in pts.Count <= 60 ? pts : [])
                {
                    sb.Append(c, $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"2.5\" fill=\"{color}\"/>");
                }
            }
            sb.Append(c, $"<rect x=\"{W - R + 10}\" y=\"{T + (i * 18)}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{W - R + 28}\" y=\"{T + (i * 18) + 10}\" font-size=\"12\">{Esc(series[i].Name)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
