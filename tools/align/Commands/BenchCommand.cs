using AlignStream.Engine.Model;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align bench engine [--json] [--threads 2] [--repeats 3] [--configs S,M] [--no-torch]`: the engine
/// benchmark (see <see cref="EngineBenchmark"/>); progress on stderr, the report on stdout.
/// </summary>
public sealed class BenchCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "bench";

    /// <inheritdoc />
    public string Summary => "bench engine [--json] [--threads 2] [--repeats 3] [--configs S,M] [--no-torch] | bench loop [--seconds 120] [--warmup 30] [--model DIR] [--rate 96] | bench swap [--seconds 30] [--model DIR] [--swaps-per-second 2]";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Positional.Count > 0 && args.Positional[0] == "loop")
        {
            return RunLoopAsync(args, cancellationToken);
        }
        if (args.Positional.Count > 0 && args.Positional[0] == "swap")
        {
            return RunSwapAsync(args, cancellationToken);
        }
        if (args.Positional.Count == 0 || args.Positional[0] != "engine")
        {
            throw new UsageException("expected `bench engine [--json] [--threads N]`, `bench loop [--seconds S] [--model DIR] [--json]` or `bench swap [--seconds S] [--model DIR] [--json]`");
        }
        var json = args.Flag("json");
        var threads = args.Int("threads", 2);
        var repeats = args.Int("repeats", 3);
        var configs = (args.String("configs") ?? "S,M").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var noTorch = args.Flag("no-torch");
        LogprobsCommand.RejectUnread(args);
        if (threads < 1 || repeats < 1)
        {
            throw new UsageException("--threads and --repeats must be at least 1");
        }
        if (configs.Any(c => c is not ("S" or "M")))
        {
            throw new UsageException("--configs takes S, M or S,M");
        }
        var bench = new EngineBenchmark
        {
            Threads = threads,
            Repeats = repeats,
            Configs = configs,
            Python = noTorch ? null : "/usr/bin/python3",
            Progress = line => Console.Error.WriteLine("bench: " + line),
        };
        var report = bench.Run();
        Console.WriteLine(json ? EngineBenchmark.ToJson(report) : report.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return Task.FromResult(0);
    }

    private static Task<int> RunLoopAsync(CliArgs args, CancellationToken cancellationToken)
    {
        var seconds = args.Double("seconds", 120);
        // Enough prompts to keep both cores of a 2-core machine busy with the pretrained base model: the CPU share
        // is a figure of a loaded loop (an idle loop's polling is a larger share of almost nothing).
        var rate = args.Int("rate", 96);
        // Long enough for tiered JIT to settle on the paths that run only every few seconds (checkpoints, swaps).
        var warmup = args.Double("warmup", Math.Min(30, seconds / 4));
        var model = args.String("model");
        _ = args.Flag("json");
        LogprobsCommand.RejectUnread(args);
        if (seconds <= 0 || rate < 1 || warmup < 0 || warmup >= seconds)
        {
            throw new UsageException("--seconds must be positive, --rate at least 1, and --warmup within [0, --seconds)");
        }
        return InScratchFolderAsync("loop", model, (runDirectory, modelPath, origin) =>
        {
            Console.Error.WriteLine($"bench: loop for {seconds:F0} s ({warmup:F0} s warm-up, not measured) at {rate} prompts/s on {origin}");
            var bench = new Hosting.LoopBenchmark
            {
                ModelPath = modelPath,
                RunDirectory = runDirectory,
                Duration = TimeSpan.FromSeconds(seconds),
                PromptsPerSecond = rate,
                Warmup = TimeSpan.FromSeconds(warmup),
                Progress = line => Console.Error.WriteLine("bench: " + line),
            };
            return bench.RunAsync(cancellationToken);
        });
    }

    private static Task<int> RunSwapAsync(CliArgs args, CancellationToken cancellationToken)
    {
        var seconds = args.Double("seconds", 30);
        var rate = args.Double("swaps-per-second", 2);
        var model = args.String("model");
        _ = args.Flag("json");
        LogprobsCommand.RejectUnread(args);
        if (seconds <= 0 || rate <= 0 || rate > 100)
        {
            throw new UsageException("--seconds must be positive and --swaps-per-second within (0, 100]");
        }
        return InScratchFolderAsync("swap", model, (work, modelPath, origin) =>
        {
            Console.Error.WriteLine($"bench: swap for {seconds:F0} s, {rate:G} swaps/s, 16 busy decode slots, on {origin}");
            var bench = new Hosting.SwapBenchmark
            {
                ModelPath = modelPath,
                WorkDirectory = work,
                Duration = TimeSpan.FromSeconds(seconds),
                SwapsPerSecond = rate,
                Progress = line => Console.Error.WriteLine("bench: " + line),
            };
            return Task.FromResult(bench.Run(cancellationToken));
        });
    }

    /// <summary>
    /// Runs a pipeline benchmark in a fresh temporary folder (deleted afterwards) on the given or the base model, and
    /// prints its report as one JSON line.
    /// </summary>
    private static async Task<int> InScratchFolderAsync(string name, string? model, Func<string, string, string, Task<System.Text.Json.Nodes.JsonObject>> run)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"align-bench-{name}-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var (modelPath, origin) = Hosting.BaseModel.Resolve(model, folder, seed: 1234);
            Console.WriteLine((await run(folder, modelPath, origin)).ToJsonString());
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
