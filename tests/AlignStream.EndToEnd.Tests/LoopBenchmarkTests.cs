using System.Text.Json;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// `align bench loop` and `align bench swap` as the closing notes run them: the pipeline under load, measured after a warm-up. Checks the
/// accounting, not speed: every stage charges engine CPU, the engine never exceeds the process, pauses are split by
/// whether a swap overlapped them.
/// </summary>
public sealed class LoopBenchmarkTests : IDisposable
{
    private readonly TempFolder _temp = new("bench-loop");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Bench_loop_charges_engine_cpu_per_stage_and_reports_swap_pauses_apart()
    {
        var model = TinyModel.Save(Path.Combine(_temp.Path, "tiny"), 5);
        using var doc = RunBench(TimeSpan.FromSeconds(180), "loop", "--seconds", "24", "--warmup", "6", "--rate", "8", "--model", model);
        var root = doc.RootElement;

        Assert.InRange(root.GetProperty("warmup_s").GetDouble(), 5.9, 8);
        var process = root.GetProperty("process_cpu_s").GetDouble();
        var engine = root.GetProperty("engine_cpu_s");
        var stages = new[] { "generator", "scorer", "trainer" }.Select(s => engine.GetProperty(s).GetDouble()).ToArray();
        Assert.All(stages, s => Assert.True(s > 0, $"a stage charged no engine CPU: {engine}"));
        Assert.True(stages.Sum() <= process, $"engine CPU {stages.Sum()} s exceeds the process's {process} s");
        var share = root.GetProperty("share_outside_engine").GetDouble();
        // The report rounds every figure to 4 decimals: compare within what that rounding allows.
        Assert.True(Math.Abs(1 - (stages.Sum() / process) - share) < 1e-3, $"share {share} does not follow from the counters in {root}");
        // The embedded broker's thread is found and taken out of the second figure only.
        var broker = root.GetProperty("embedded_broker_cpu_s").GetDouble();
        Assert.True(broker > 0, "no CPU was found on the embedded broker's thread");
        var withoutBroker = root.GetProperty("share_outside_engine_without_embedded_broker").GetDouble();
        Assert.True(Math.Abs(1 - (stages.Sum() / (process - broker)) - withoutBroker) < 1e-3, $"share without the broker {withoutBroker} does not follow from {root}");
        // The prompt feeder runs on its own thread, which is found and also taken out of the services-only figure.
        var feeder = root.GetProperty("bench_feeder_cpu_s").GetDouble();
        Assert.True(feeder > 0, "no CPU was found on the prompt feeder's thread");
        var servicesOnly = root.GetProperty("share_outside_engine_services_only").GetDouble();
        Assert.True(Math.Abs(1 - (stages.Sum() / (process - broker - feeder)) - servicesOnly) < 1e-3, $"services-only share {servicesOnly} does not follow from {root}");

        var gaps = root.GetProperty("decode_gap_s");
        Assert.True(gaps.TryGetProperty("during_swap_count", out _) && gaps.TryGetProperty("outside_swap_max", out _), gaps.ToString());
        Assert.True(root.GetProperty("decode_step_s").GetProperty("count").GetInt32() > 0, "no decode steps were measured");
        Assert.True(root.GetProperty("cpu_by_thread_s").TryGetProperty("align-decode", out _), "the decode thread is not named in the per-thread CPU");
    }

    [Fact]
    public void Bench_swap_flips_versions_under_a_busy_decode_batch_and_counts_the_pauses_they_overlap()
    {
        var model = TinyModel.Save(Path.Combine(_temp.Path, "tiny-swap"), 6);
        using var doc = RunBench(TimeSpan.FromSeconds(120), "swap", "--seconds", "4", "--swaps-per-second", "5", "--model", model);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("swaps").GetInt32(), 5, 30);
        Assert.Equal(0, root.GetProperty("swaps_refused").GetInt32());
        // Decoding never stopped: steps ran while swaps were under way, and between them.
        Assert.True(root.GetProperty("gap_during_swap_s").GetProperty("count").GetInt32() > 0, root.ToString());
        Assert.True(root.GetProperty("gap_outside_swap_s").GetProperty("count").GetInt32() > 0, root.ToString());
        Assert.True(root.GetProperty("decode_step_s").GetProperty("count").GetInt32() > 100, root.ToString());
    }

    /// <summary>Runs `align bench KIND ARGS --json` to the end and parses the JSON object it prints.</summary>
    private JsonDocument RunBench(TimeSpan timeout, string kind, params string[] args)
    {
        using var bench = AlignProcess.StartAlign(_temp.Path, ["bench", kind, .. args, "--json"]);
        Assert.True(bench.WaitForExit(timeout), $"bench {kind} did not finish:\n" + bench.Tail());
        Assert.True(bench.ExitCode == 0, $"bench {kind} exited {bench.ExitCode}:\n" + bench.Tail());
        // Standard output lines come back as "out: ...".
        var line = bench.Tail(400).Split('\n').Where(l => l.StartsWith("out: {", StringComparison.Ordinal)).Select(l => l[5..]).LastOrDefault();
        Assert.True(line is not null, $"bench {kind} printed no JSON object:\n" + bench.Tail());
        return JsonDocument.Parse(line);
    }
}
