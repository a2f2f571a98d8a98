using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// `align bench loop`: the whole pipeline in one process (the `up` host) under a steady prompt load, measuring the
/// loop's targets from the instruments' raw measurements: publish-to-serving latency of each new policy version,
/// the longest pause between two decode steps against a normal step, and the share of process CPU time spent
/// outside engine calls (decode steps, reference passes, trainer steps).
/// </summary>
public sealed class LoopBenchmark
{
    public required string ModelPath { get; init; }

    public required string RunDirectory { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(90);

    public int PromptsPerSecond { get; init; } = 8;

    public Action<string> Progress { get; init; } = _ => { };

    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _values = new(StringComparer.Ordinal);

    public async Task<JsonObject> RunAsync(CancellationToken cancellationToken)
    {
        var defaults = new Dictionary<string, string?>(PipelineHost.SingleProcessDefaults(RunDirectory))
        {
            ["Metrics:Port"] = "0",
            ["Model:Path"] = ModelPath,
            ["Scorer:RewardModels"] = "length,afinn",
            ["Trainer:PublishEvery"] = "2",
            ["Trainer:BatchSize"] = "8",
            ["Trainer:MaxBatchWaitMs"] = "500",
            ["Generator:Defaults:Candidates"] = "4",
            ["Generator:Defaults:MaxNewTokens"] = "32",
            ["Generator:WeightsPollSeconds"] = "1",
        };
        var builder = PipelineHost.CreateBuilder([], defaults);
        Stages.Add(builder, Stages.All);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var app = builder.Build();
        app.MapAlignDefaultEndpoints();

        using var listener = new MeterListener();
        string[] watched =
        [
            MetricNames.Weights.PublishToServing, MetricNames.Weights.SwapDuration, MetricNames.Generator.DecodeStepDuration,
            MetricNames.Generator.DecodeStepGap, MetricNames.Scorer.ReferenceDuration, MetricNames.Trainer.StepDuration,
        ];
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name.StartsWith(MetricNames.Meters.Prefix, StringComparison.Ordinal) && watched.Contains(instrument.Name))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key == "kind")
                {
                    key += ":" + tag.Value;
                }
            }
            _values.GetOrAdd(key, _ => new ConcurrentQueue<double>()).Enqueue(value);
        });
        listener.Start();

        await app.StartAsync(cancellationToken);
        var producer = app.Services.GetRequiredService<IKafkaProducer>();
        var topics = app.Services.GetRequiredService<KafkaConnection>().Topics;
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var interval = TimeSpan.FromSeconds(1.0 / PromptsPerSecond);
        while (clock.Elapsed < Duration && !cancellationToken.IsCancellationRequested)
        {
            var id = $"bench-{sent:D6}";
            var prompt = new Prompt
            {
                SchemaVersion = RecordSchema.Version,
                PromptId = id,
                Task = sent % 2 == 0 ? "sentiment" : "arith",
                Text = sent % 2 == 0 ? $"Day {sent}: the weather was" : $"{sent % 50}+{sent % 37}=",
                Experiment = "bench",
                CreatedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            await producer.ProduceAsync(topics.Prompts, id, prompt, cancellationToken: cancellationToken);
            sent++;
            if (sent % (PromptsPerSecond * 10) == 0)
            {
                Progress($"{clock.Elapsed.TotalSeconds:F0}s: {sent} prompts sent, {Count(MetricNames.Weights.PublishToServing + ":policy")} policy versions served");
            }
            var next = TimeSpan.FromTicks(interval.Ticks * sent) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, cancellationToken);
            }
        }
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        var wall = clock.Elapsed.TotalSeconds;
        await app.StopAsync(CancellationToken.None);
        listener.Dispose();

        var engineSeconds = Sum(MetricNames.Generator.DecodeStepDuration) + Sum(MetricNames.Scorer.ReferenceDuration) + Sum(MetricNames.Trainer.StepDuration);
        var steps = Values(MetricNames.Generator.DecodeStepDuration);
        var gaps = Values(MetricNames.Generator.DecodeStepGap);
        var publish = Values(MetricNames.Weights.PublishToServing + ":policy");
        var medianStep = Quantile(steps, 0.5);
        return new JsonObject
        {
            ["seconds"] = Math.Round(wall, 1),
            ["prompts_sent"] = sent,
            ["policy_versions_served"] = publish.Length,
            ["publish_to_serving_s"] = new JsonObject { ["p50"] = Round(Quantile(publish, 0.5)), ["max"] = Round(publish.DefaultIfEmpty(double.NaN).Max()) },
            ["swap_duration_s"] = new JsonObject { ["p50"] = Round(Quantile(Values(MetricNames.Weights.SwapDuration + ":policy"), 0.5)), ["max"] = Round(Values(MetricNames.Weights.SwapDuration + ":policy").DefaultIfEmpty(double.NaN).Max()) },
            ["decode_step_s"] = new JsonObject { ["p50"] = Round(medianStep), ["p99"] = Round(Quantile(steps, 0.99)), ["count"] = steps.Length },
            ["decode_gap_s"] = new JsonObject { ["p50"] = Round(Quantile(gaps, 0.5)), ["max"] = Round(gaps.DefaultIfEmpty(double.NaN).Max()) },
            ["longest_gap_over_median_step"] = Round(gaps.DefaultIfEmpty(double.NaN).Max() / medianStep),
            ["process_cpu_s"] = Round(cpu),
            ["engine_s"] = Round(engineSeconds),
            // Engine calls are timed in wall-clock; on a loaded or multi-threaded run this share is an estimate.
            ["share_outside_engine"] = Round(Math.Max(0, 1 - (engineSeconds / cpu))),
        };
    }

    private int Count(string key) => _values.TryGetValue(key, out var q) ? q.Count : 0;

    private double[] Values(string key) => _values.TryGetValue(key, out var q) ? [.. q] : [];

    private double Sum(string key) => Values(key).Sum();

    private static double? Round(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;

    private static double Quantile(double[] values, double q)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    }
}
