using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;
using static AlignStream.Cli.Hosting.BenchStats;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// `align bench loop`: the whole pipeline in one process (the `up` host) under a steady prompt load, measuring the
/// loop's targets from the instruments' raw measurements: publish-to-serving latency of each new policy version,
/// the longest pause between two decode steps against a normal step, and the share of process CPU time spent
/// outside the engine. Engine work (decode steps with their sampling, reference passes, trainer steps) is charged
/// in thread CPU seconds by the stages' <c>*_engine_cpu</c> counters, and the process total comes from the OS, so
/// the share does not depend on how busy the machine is. Everything is measured after a warm-up (JIT, first
/// swaps, cold caches), over the steady state only.
/// </summary>
public sealed class LoopBenchmark
{
    public required string ModelPath { get; init; }

    public required string RunDirectory { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(120);

    public int PromptsPerSecond { get; init; } = 96;

    /// <summary>Leading part of <see cref="Duration"/> that is run but not measured.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(30);

    public Action<string> Progress { get; init; } = _ => { };

    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _values = new(StringComparer.Ordinal);
    private volatile bool _measuring;

    /// <summary>Name of librdkafka's mock-cluster thread (the embedded broker), as /proc shows it.</summary>
    private const string EmbeddedBrokerThread = "rdk:mock";

    /// <summary>Name of the thread that writes the benchmark's prompts (as /proc shows it: at most 15 characters).</summary>
    private const string FeederThread = "bench-feeder";

    public async Task<JsonObject> RunAsync(CancellationToken cancellationToken)
    {
        var defaults = new Dictionary<string, string?>(PipelineHost.SingleProcessDefaults(RunDirectory))
        {
            ["Metrics:Port"] = "0",
            ["Model:Path"] = ModelPath,
            ["Scorer:RewardModels"] = "length,afinn",
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
            MetricNames.Generator.DecodeStepGap, MetricNames.Generator.EngineCpu, MetricNames.Scorer.EngineCpu, MetricNames.Trainer.EngineCpu,
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
            if (!_measuring)
            {
                return;
            }
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key is "kind" or "swap")
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
        var clock = Stopwatch.StartNew();
        var warmup = Warmup < Duration ? Warmup : TimeSpan.Zero;
        var cpuStart = 0.0;
        var threadsStart = ThreadCpu.Snapshot();
        var measuredFrom = TimeSpan.Zero;
        var sent = 0;
        // The prompt feeder stands in for the clients that write align.prompts; it runs on its own named thread so
        // that its CPU (serialising and producing prompts, pacing) can be told apart from the services'.
        var fed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The feeder stays alive until its CPU has been read: /proc forgets a thread once it exits.
        using var measured = new ManualResetEventSlim();
        var feeder = new Thread(() =>
        {
            try
            {
                while (clock.Elapsed < Duration && !cancellationToken.IsCancellationRequested)
                {
                    if (!_measuring && clock.Elapsed >= warmup)
                    {
                        cpuStart = PlatformInstruments.ProcessCpuSeconds();
                        threadsStart = ThreadCpu.Snapshot();
                        measuredFrom = clock.Elapsed;
                        _measuring = true;
                    }
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
                    producer.ProduceAsync(topics.Prompts, id, prompt, cancellationToken: cancellationToken).GetAwaiter().GetResult();
                    sent++;
                    if (sent % (PromptsPerSecond * 10) == 0)
                    {
                        Progress($"{clock.Elapsed.TotalSeconds:F0}s: {sent} prompts sent, {Count(MetricNames.Weights.PublishToServing + ":policy")} policy versions served since warm-up");
                    }
                    var next = TimeSpan.FromSeconds((double)sent / PromptsPerSecond) - clock.Elapsed;
                    if (next > TimeSpan.Zero)
                    {
                        cancellationToken.WaitHandle.WaitOne(next);
                    }
                }
                fed.TrySetResult();
                measured.Wait(TimeSpan.FromMinutes(1));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                fed.TrySetCanceled(cancellationToken);
            }
            catch (Exception ex)
            {
                fed.TrySetException(ex);
            }
        })
        { Name = FeederThread, IsBackground = true };
        feeder.Start();
        double cpu;
        Dictionary<string, double> threads;
        try
        {
            await fed.Task;
            _measuring = false;
            cpu = PlatformInstruments.ProcessCpuSeconds() - cpuStart;
            threads = ThreadCpu.Since(threadsStart);
        }
        finally
        {
            measured.Set();
        }
        var wall = (clock.Elapsed - measuredFrom).TotalSeconds;
        await app.StopAsync(CancellationToken.None);
        listener.Dispose();

        var generatorCpu = Sum(MetricNames.Generator.EngineCpu);
        var scorerCpu = Sum(MetricNames.Scorer.EngineCpu);
        var trainerCpu = Sum(MetricNames.Trainer.EngineCpu);
        var engine = new JsonObject { ["generator"] = Round(generatorCpu), ["scorer"] = Round(scorerCpu), ["trainer"] = Round(trainerCpu) };
        var engineSeconds = generatorCpu + scorerCpu + trainerCpu;
        var steps = Values(MetricNames.Generator.DecodeStepDuration);
        var swapGaps = Values(MetricNames.Generator.DecodeStepGap + ":true");
        var otherGaps = Values(MetricNames.Generator.DecodeStepGap + ":false");
        var gaps = swapGaps.Concat(otherGaps).ToArray();
        var publish = Values(MetricNames.Weights.PublishToServing + ":policy");
        var swaps = Values(MetricNames.Weights.SwapDuration + ":policy");
        var medianStep = Quantile(steps, 0.5);
        var p99Step = Quantile(steps, 0.99);
        var longestSwapGap = Max(swapGaps);
        // The embedded mock-cluster broker runs inside this process only in single-process mode; in the distributed
        // mode Kafka runs on its own machines, so the share is also given without it.
        var broker = threads.Where(t => t.Key.StartsWith(EmbeddedBrokerThread, StringComparison.Ordinal)).Sum(t => t.Value);
        var feederCpu = threads.Where(t => t.Key == FeederThread).Sum(t => t.Value);
        var byThread = new JsonObject();
        foreach (var (name, seconds) in threads.OrderByDescending(t => t.Value).Take(10))
        {
            byThread[name] = Round(seconds);
        }
        return new JsonObject
        {
            ["seconds"] = Math.Round(wall, 1),
            ["warmup_s"] = Math.Round(measuredFrom.TotalSeconds, 1),
            ["prompts_sent"] = sent,
            ["policy_versions_served"] = publish.Length,
            ["publish_to_serving_s"] = new JsonObject { ["p50"] = Round(Quantile(publish, 0.5)), ["max"] = Round(Max(publish)) },
            ["swap_duration_s"] = new JsonObject { ["p50"] = Round(Quantile(swaps, 0.5)), ["max"] = Round(Max(swaps)) },
            ["decode_step_s"] = new JsonObject { ["p50"] = Round(medianStep), ["p99"] = Round(p99Step), ["count"] = steps.Length },
            ["decode_gap_s"] = new JsonObject
            {
                ["p50"] = Round(Quantile(gaps, 0.5)),
                ["max"] = Round(Max(gaps)),
                ["during_swap_count"] = swapGaps.Length,
                ["during_swap_max"] = Round(longestSwapGap),
                ["outside_swap_p99"] = Round(Quantile(otherGaps, 0.99)),
                ["outside_swap_max"] = Round(Max(otherGaps)),
            },
            // The target: a pause that overlaps a swap is no longer than a normal step.
            ["longest_swap_gap_over_median_step"] = Round(longestSwapGap / medianStep),
            ["longest_swap_gap_over_p99_step"] = Round(longestSwapGap / p99Step),
            ["longest_gap_over_median_step"] = Round(Max(gaps) / medianStep),
            ["process_cpu_s"] = Round(cpu),
            ["engine_cpu_s"] = engine,
            ["share_outside_engine"] = ThreadCpuClock.IsSupported ? Round(Math.Max(0, 1 - (engineSeconds / cpu))) : null,
            ["embedded_broker_cpu_s"] = Round(broker),
            ["share_outside_engine_without_embedded_broker"] = ThreadCpuClock.IsSupported ? Round(Math.Max(0, 1 - (engineSeconds / (cpu - broker)))) : null,
            // The services alone, as the distributed mode runs them: neither the broker nor the prompt feeder (a client).
            ["bench_feeder_cpu_s"] = Round(feederCpu),
            ["share_outside_engine_services_only"] = ThreadCpuClock.IsSupported ? Round(Math.Max(0, 1 - (engineSeconds / (cpu - broker - feederCpu)))) : null,
            ["cpu_by_thread_s"] = byThread,
        };
    }

    private int Count(string key) => _values.TryGetValue(key, out var q) ? q.Count : 0;

    private double[] Values(string key) => _values.TryGetValue(key, out var q) ? [.. q] : [];

    private double Sum(string key) => Values(key).Sum();

}
