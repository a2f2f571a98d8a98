using System.Globalization;
using System.Text;
using AlignStream.Platform.Metrics;

namespace AlignStream.Cli.Demo;

/// <summary>
/// Samples the pipeline's instruments into the run's time series and shows the live view: redrawn in place every
/// second on a terminal, or as one log line every <see cref="LogEverySeconds"/> seconds when output is not a terminal
/// (or --headless).
/// </summary>
public sealed class DemoMonitor(DemoRun run, DemoTelemetry telemetry, PromptFeeder feeder, DemoView view) : BackgroundService
{
    /// <summary>Seconds between two log lines in headless mode.</summary>
    public const double LogEverySeconds = 15;

    private (double Time, double Sets, double Tokens, Dictionary<string, (double Sum, long Count)> Rewards)? _previous;
    private double _lastLog = double.NegativeInfinity;
    private int _drawnLines;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextPoint = 0.0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                telemetry.Refresh();
                var now = run.ElapsedSeconds;
                if (now >= nextPoint)
                {
                    run.RecordSeries(Sample(now));
                    nextPoint = now + run.Options.SeriesSeconds;
                }
                Show(now);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the last point is taken in StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        telemetry.Refresh();
        run.RecordSeries(Sample(run.ElapsedSeconds));
    }

    /// <summary>One time-series point: rates and reward means over the interval since the previous point.</summary>
    private SeriesPoint Sample(double now)
    {
        var sets = telemetry.Sum(MetricNames.Generator.CandidateSetsPublished);
        var tokens = telemetry.Sum(MetricNames.Generator.TokensGenerated);
        var rewards = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        foreach (var model in telemetry.SumBy(MetricNames.Scorer.RewardScore, "reward_model").Keys)
        {
            rewards[model] = (telemetry.Sum(MetricNames.Scorer.RewardScore, "reward_model", model), telemetry.Count(MetricNames.Scorer.RewardScore, "reward_model", model));
        }
        double promptsPerS = 0, tokensPerS = 0;
        var windowRewards = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (_previous is { } p && now > p.Time)
        {
            promptsPerS = (sets - p.Sets) / (now - p.Time);
            tokensPerS = (tokens - p.Tokens) / (now - p.Time);
            foreach (var (model, (sum, count)) in rewards)
            {
                var (ps, pc) = p.Rewards.GetValueOrDefault(model);
                if (count > pc)
                {
                    windowRewards[model] = (sum - ps) / (count - pc);
                }
            }
        }
        _previous = (now, sets, tokens, rewards);
        var pulls = run.Options.Tasks.ToDictionary(t => t, t => telemetry.SumBy(MetricNames.Scorer.BanditSelections, "arm", "task", t), StringComparer.Ordinal);
        return new SeriesPoint(now, (long)Nan0(telemetry.Last(MetricNames.Trainer.PolicyVersion)), promptsPerS, tokensPerS,
            telemetry.Last(MetricNames.Trainer.Loss), telemetry.Last(MetricNames.Trainer.KlToReference), telemetry.Sum(MetricNames.Trainer.PairsTrained),
            Nan0(telemetry.Last(MetricNames.Trainer.Backlog)), pulls, windowRewards);
    }

    private void Show(double now)
    {
        var lines = Lines(now);
        if (view.InPlace)
        {
            var sb = new StringBuilder();
            if (_drawnLines > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\u001b[{_drawnLines}A");
            }
            foreach (var line in lines)
            {
                sb.Append("\u001b[2K").Append(line).Append('\n');
            }
            view.Output.Write(sb.ToString());
            view.Output.Flush();
            _drawnLines = lines.Count;
        }
        else if (now - _lastLog >= LogEverySeconds)
        {
            _lastLog = now;
            view.Output.WriteLine(string.Join(" | ", lines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))));
            view.Output.Flush();
        }
    }

    /// <summary>The live view's lines.</summary>
    public IReadOnlyList<string> Lines(double now)
    {
        var c = CultureInfo.InvariantCulture;
        var series = run.Series;
        var last = series.Count > 0 ? series[^1] : null;
        var lines = new List<string>
        {
            string.Create(c, $"[{TimeSpan.FromSeconds(now):hh\\:mm\\:ss}] policy v{Nan0(telemetry.Last(MetricNames.Trainer.PolicyVersion)):F0} trained, v{Nan0(telemetry.Last(MetricNames.Generator.PolicyVersion)):F0} serving, reference v{Nan0(telemetry.Last(MetricNames.Trainer.ReferenceVersion)):F0}; evaluated v{Math.Max(0, run.EvaluatedVersion)}"),
            string.Create(c, $"  throughput  {last?.PromptsPerS ?? 0:F2} prompts/s  {last?.TokensPerS ?? 0:F0} tokens/s  pairs trained {telemetry.Sum(MetricNames.Trainer.PairsTrained):F0}  steps {telemetry.Sum(MetricNames.Trainer.Steps):F0}"),
            "  rewards     " + string.Join("  ", telemetry.MeanBy(MetricNames.Scorer.RewardScore, "reward_model").Select(kv => string.Create(c, $"{kv.Key} {kv.Value:+0.000;-0.000}"))) + "  (mean per candidate)",
        };
        foreach (var task in run.Options.Tasks)
        {
            var compare = run.Compare(task);
            var metric = task == DemoTasks.Arith ? "accuracy" : "VADER";
            lines.Add(compare is var (b, l)
                ? string.Create(c, $"  eval {task,-9} {metric} {b.Gold:F3} -> {l.Gold:F3} ({l.Gold - b.Gold:+0.000;-0.000})  proxy {b.Proxy:F3} -> {l.Proxy:F3}")
                : $"  eval {task,-9} (base eval running)");
        }
        foreach (var task in run.Options.Tasks)
        {
            var pulls = telemetry.SumBy(MetricNames.Scorer.BanditSelections, "arm", "task", task);
            lines.Add($"  bandit {task,-9} " + (pulls.Count == 0 ? "no pulls yet" : string.Join("  ", pulls.Select(kv => string.Create(c, $"{kv.Key} {kv.Value:F0}")))));
        }
        lines.Add(string.Create(c, $"  trainer     loss {Nan0(telemetry.Last(MetricNames.Trainer.Loss)):F3}  KL {Nan0(telemetry.Last(MetricNames.Trainer.KlToReference)):F3}  staleness {Nan0(telemetry.Mean(MetricNames.Trainer.Staleness)):F2} versions"));
        lines.Add(string.Create(c, $"  queues      in flight {feeder.InFlight} prompts  consumer lag {Nan0(telemetry.Last(MetricNames.Kafka.ConsumerLag)):F0} records  trainer backlog {Nan0(telemetry.Last(MetricNames.Trainer.Backlog)):F0} pairs"));
        return lines;
    }

    private static double Nan0(double v) => double.IsFinite(v) ? v : 0;
}

/// <summary>Where and how the live view is written.</summary>
public sealed record DemoView(TextWriter Output, bool InPlace);
