using System.Diagnostics.Metrics;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AlignStream.Generator.Tests.Decoding;

/// <summary>
/// Swaps from another thread while the decode thread runs (config S model): versions stay consistent per step, and
/// the step gap during swaps is reported next to the normal step time (printed, never asserted: tests do not time).
/// </summary>
public sealed class ConcurrentSwapTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Swaps_from_another_thread_land_between_steps_while_sequences_keep_decoding()
    {
        using var temp = new TempFolder("gen-concurrent");
        var config = LlamaConfig.PresetS();
        var folders = new[] { temp.Sub("b"), temp.Sub("c") };
        LlamaModel.CreateRandom(config, 2, 0.05f).Save(folders[0]);
        LlamaModel.CreateRandom(config, 3, 0.05f).Save(folders[1]);
        var policy = new PolicyRuntime(LlamaModel.CreateRandom(config, 1, 0.05f), ByteTokenizer.Instance);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var instruments = new GeneratorInstruments(factory);
        var steps = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == MetricNames.Generator.DecodeStepDuration)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (steps)
            {
                steps.Add(value);
            }
        });
        listener.Start();

        var decoder = new ContinuousBatchDecoder(policy, slots: 8, capacity: 160, maxStepTokens: 8 + 64, instruments: instruments);
        var sampling = new ResolvedSampling(4, new SamplingOptions { Temperature = 1f, MaxNewTokens = 120 });
        var requests = Enumerable.Range(0, 4).Select(i =>
        {
            var id = $"c{i}";
            return new GenerationRequest(id, [ByteTokenizer.BosIdConstant, .. ByteTokenizer.Instance.Encode($"prompt {i}")], sampling, GenerationRequest.SeedsFor(1, id, 4));
        }).ToArray();

        // The decode thread runs freely while each swap loads and verifies, but it may not run more than 40 steps past a
        // swap's trigger before that swap has landed: on a slow or busy machine the work could otherwise finish before
        // the first swap, and whether a sequence spans a swap would depend on timing instead of on the code.
        using var stop = new CancellationTokenSource();
        var swapsDone = 0;
        var gatedWaits = 0;
        var worker = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var done = Volatile.Read(ref swapsDone);
                if (done < 4 && decoder.StepCount >= (10L * (done + 1)) + 40)
                {
                    gatedWaits++;
                    Thread.Sleep(1);
                    continue;
                }
                if (!decoder.Step())
                {
                    try
                    {
                        decoder.WaitForWork(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        foreach (var r in requests)
        {
            decoder.Submit(r);
        }

        // Four swaps, at or after steps 10, 20, 30 and 40 of the 240 the work takes (absolute targets, so a slow swap
        // on a busy machine can never wait for a step that will not come).
        var swapMs = new List<double>();
        for (var v = 1; v <= 4; v++)
        {
            var target = 10L * v;
            await Eventually.WaitAsync(() => decoder.StepCount >= target, TimeSpan.FromSeconds(60), $"decoding to reach step {target} before swap {v}");
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Assert.True(policy.TrySwap(folders[v % 2], v, out var reason), reason);
            swapMs.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Volatile.Write(ref swapsDone, v);
        }
        var outcomes = await Task.WhenAll(requests.Select(r => r.Completion.WaitAsync(TimeSpan.FromSeconds(120))));
        wall.Stop();
        await stop.CancelAsync();
        await worker.WaitAsync(TimeSpan.FromSeconds(30));

        var all = outcomes.SelectMany(o => o.Candidates).ToArray();
        Assert.All(all, c =>
        {
            Assert.Equal(120, c.Tokens.Length);
            Assert.InRange(c.VersionStart, 0, 4);
            Assert.InRange(c.VersionEnd, c.VersionStart, 4);
        });
        Assert.Contains(all, c => c.VersionEnd > c.VersionStart);
        Assert.Equal(4, policy.Version);

        double[] sorted;
        lock (steps)
        {
            sorted = [.. steps.Order()];
        }
        output.WriteLine($"{all.Sum(c => c.Tokens.Length)} tokens in {wall.Elapsed.TotalSeconds:F2} s ({all.Sum(c => c.Tokens.Length) / wall.Elapsed.TotalSeconds:F0} tokens/s, 8 slots, config S); " +
            $"steps {sorted.Length}, step median {sorted[sorted.Length / 2] * 1e3:F2} ms, p99 {sorted[(int)(sorted.Length * 0.99)] * 1e3:F2} ms, " +
            $"max {sorted[^1] * 1e3:F2} ms; longest gap between steps {instruments.LongestStepGapSeconds * 1e3:F2} ms (includes {gatedWaits} ms-long waits for a slow swap); swap (load+verify+flip) {string.Join(", ", swapMs.Select(m => m.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} ms");
    }
}
