using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AlignStream.Engine.Sampling;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.DependencyInjection;
using static AlignStream.Cli.Hosting.BenchStats;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// `align bench swap`: the hot swap by itself. A full decode batch runs on its own thread while another thread loads
/// and flips a new version several times a second, exactly as the generator's watcher does (read the checkpoint into
/// the standby buffer, check it, flip between two passes). Without the scorer and trainer competing for the cores,
/// any pause the swap causes shows as a gap between two decode steps marked as overlapping a swap, next to the
/// normal step time measured in the same run.
/// </summary>
public sealed class SwapBenchmark
{
    public required string ModelPath { get; init; }

    public required string WorkDirectory { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public double SwapsPerSecond { get; init; } = 2;

    public int Slots { get; init; } = 16;

    public Action<string> Progress { get; init; } = _ => { };

    public JsonObject Run(CancellationToken cancellationToken)
    {
        // Two folders with the model's weights: every swap reads, checks and flips a full checkpoint.
        var policy = PolicyRuntime.Load(ModelPath, 1);
        var model = policy.Model;
        var folders = new[] { Path.Combine(WorkDirectory, "a"), Path.Combine(WorkDirectory, "b") };
        foreach (var folder in folders)
        {
            model.Save(folder, policy.Tokenizer);
        }

        var steps = new List<double>();
        var swapGaps = new List<double>();
        var otherGaps = new List<double>();
        // A meter factory of its own, so the listener sees only this benchmark's instruments.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var instruments = new GeneratorInstruments(meters);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters)
                && instrument.Name is MetricNames.Generator.DecodeStepDuration or MetricNames.Generator.DecodeStepGap)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == MetricNames.Generator.DecodeStepDuration)
            {
                steps.Add(value);
                return;
            }
            var duringSwap = false;
            foreach (var tag in tags)
            {
                duringSwap |= tag.Key == "swap" && (string?)tag.Value == "true";
            }
            (duringSwap ? swapGaps : otherGaps).Add(value);
        });
        listener.Start();

        var maxNew = Math.Min(64, model.Config.MaxPositionEmbeddings - 16);
        var decoder = new ContinuousBatchDecoder(policy, Slots, capacity: maxNew + 16, maxStepTokens: Slots + 16, instruments: instruments);
        var sampling = new ResolvedSampling(4, new SamplingOptions { Temperature = 1f, MaxNewTokens = maxNew });
        var tokenizer = policy.Tokenizer;
        var submitted = 0;
        void Feed()
        {
            // Keep a prompt waiting at all times so every slot stays busy.
            while (decoder.WaitingCount < Slots)
            {
                var id = $"swap-bench-{submitted++}";
                var tokens = tokenizer.Encode($"Item {submitted}: the");
                int[] prompt = tokenizer.BosId is int bos ? [bos, .. tokens] : tokens;
                decoder.Submit(new GenerationRequest(id, prompt, sampling, GenerationRequest.SeedsFor(7, id, sampling.Candidates)));
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Feed();
        var decodeThread = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Feed();
                decoder.Step();
            }
        })
        { Name = "align-decode", IsBackground = true };

        var swapSeconds = new List<double>();
        var refused = 0;
        var clock = Stopwatch.StartNew();
        decodeThread.Start();
        var interval = TimeSpan.FromSeconds(1 / SwapsPerSecond);
        var version = 0L;
        while (clock.Elapsed < Duration && !cancellationToken.IsCancellationRequested)
        {
            var next = TimeSpan.FromTicks(interval.Ticks * (version + 1));
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
            version++;
            var started = Stopwatch.GetTimestamp();
            if (policy.TrySwap(folders[version % 2], version, out _))
            {
                swapSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            else
            {
                refused++;
            }
            if (version % 10 == 0)
            {
                Progress($"{clock.Elapsed.TotalSeconds:F0}s: {version} swaps, {decoder.StepCount} decode steps");
            }
        }
        stop.Cancel();
        decodeThread.Join();
        decoder.FailAll(null);
        listener.Dispose();

        var median = Quantile(steps, 0.5);
        var p99 = Quantile(steps, 0.99);
        var swapMax = Max(swapGaps);
        return new JsonObject
        {
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["slots"] = Slots,
            ["swaps"] = swapSeconds.Count,
            ["swaps_refused"] = refused,
            ["swap_s"] = new JsonObject { ["p50"] = Round(Quantile(swapSeconds, 0.5), 5), ["max"] = Round(Max(swapSeconds), 5) },
            ["decode_step_s"] = new JsonObject { ["p50"] = Round(median, 5), ["p99"] = Round(p99, 5), ["count"] = steps.Count },
            ["gap_during_swap_s"] = new JsonObject
            {
                ["count"] = swapGaps.Count,
                ["p50"] = Round(Quantile(swapGaps, 0.5), 5),
                ["max"] = Round(swapMax, 5),
            },
            ["gap_outside_swap_s"] = new JsonObject
            {
                ["count"] = otherGaps.Count,
                ["p99"] = Round(Quantile(otherGaps, 0.99), 5),
                ["max"] = Round(Max(otherGaps), 5),
            },
            // The target: no pause around a swap longer than a normal decode step.
            ["longest_swap_gap_over_median_step"] = Round(swapMax / median, 5),
        };
    }
}
