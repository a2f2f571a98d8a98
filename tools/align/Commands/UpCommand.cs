using System.Globalization;
using AlignStream.Cli.Demo;
using AlignStream.Cli.Hosting;
using AlignStream.Cli.Pretraining;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Weights;
using Microsoft.Extensions.Options;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align up`: the whole pipeline in one process — embedded Kafka, in-memory bus and state store, one metrics
/// endpoint — with the demo task streamed in, every new policy version evaluated on held-out prompts, a live view, and
/// a run report at the end. Runs until Ctrl+C, --minutes or --max-versions.
/// </summary>
public sealed class UpCommand : ICommand
{
    public string Name => "up";

    public string Summary => "run the single-process pipeline with the demo task, live view and run report "
        + "[--headless] [--minutes M] [--max-versions V] [--report PATH] [--task sentiment|arith|mixed] [--selector NAME] [--loss dpo|spo|dpo-nll] [--seed N]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        var minutes = args.Double("minutes", 0);
        if (minutes < 0)
        {
            throw new UsageException("--minutes must be positive (or 0 to run until Ctrl+C)");
        }
        var started = DateTimeOffset.UtcNow;
        var runDirectory = Path.GetFullPath(args.String("run-dir") ?? Path.Combine(".runs", started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        var headless = args.Flag("headless") || Console.IsOutputRedirected;
        var reportPath = Path.GetFullPath(args.String("report") ?? Path.Combine(runDirectory, "report.json"));
        var flags = FlagSettings(args);
        var unknown = args.Unread().ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option --{unknown[0]}; configuration keys go as --Section:Key=Value");
        }
        Directory.CreateDirectory(runDirectory);

        var defaults = new Dictionary<string, string?>(PipelineHost.SingleProcessDefaults(runDirectory));
        foreach (var (key, value) in DemoDefaults)
        {
            defaults[key] = value;
        }
        var builder = PipelineHost.CreateBuilder(args.ConfigurationArgs, defaults);
        // The named flags win over everything, like the command line keys they stand for.
        builder.Configuration.AddInMemoryCollection(flags);
        var demo = builder.Configuration.GetSection(DemoOptions.SectionName).Get<DemoOptions>() ?? new DemoOptions();
        if (demo.Validate().FirstOrDefault() is { Member: { } member } problem)
        {
            await Console.Error.WriteLineAsync($"configuration error: {DemoOptions.SectionName}:{member} {problem.Message}").ConfigureAwait(false);
            return AlignHost.ConfigurationErrorExitCode;
        }
        SetUnlessConfigured(builder.Configuration, "Generator:Tasks:sentiment:MaxNewTokens", demo.SentimentTokens.ToString(CultureInfo.InvariantCulture));
        SetUnlessConfigured(builder.Configuration, "Generator:Tasks:arith:MaxNewTokens", demo.ArithTokens.ToString(CultureInfo.InvariantCulture));

        var (modelPath, modelOrigin) = ResolveModel(builder.Configuration["Model:Path"], runDirectory, demo.Seed, cancellationToken);
        builder.Configuration["Model:Path"] = modelPath;
        if (LearnedRewardModelFor(modelPath, builder.Configuration, cancellationToken) is { } learned)
        {
            builder.Configuration["RewardModels:LearnedPath"] = learned;
        }
        Stages.Add(builder, Stages.All);

        using var telemetry = new DemoTelemetry(DemoTelemetry.ReadByDemo.Contains);
        DemoRun? run = null;
        var view = new DemoView(Console.Out, !headless);
        if (demo.Enabled)
        {
            builder.Services.AddValidatedOptions<DemoOptions>(DemoOptions.SectionName);
            var tasks = new DemoTasks(BrownCorpus.HeldOutSentences(), demo);
            run = new DemoRun(demo, modelPath);
            builder.Services.AddSingleton(telemetry).AddSingleton(tasks).AddSingleton(run).AddSingleton(view);
            builder.Services.AddSingleton<PromptFeeder>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PromptFeeder>());
            builder.Services.AddHostedService(sp => new DemoEvaluator(tasks, run, sp.GetRequiredService<Platform.State.IStateStore>(),
                sp.GetRequiredService<WeightStoreDirectory>(), sp.GetRequiredService<ILogger<DemoEvaluator>>()));
            builder.Services.AddHostedService<DemoMonitor>();
            if (!headless)
            {
                // The live view owns the terminal; only warnings and errors are logged over it.
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
            }
        }
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (minutes > 0)
        {
            stop.CancelAfter(TimeSpan.FromMinutes(minutes));
        }
        if (run is not null)
        {
            _ = run.Finished.ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        var code = await AlignHost.RunAsync(app, host =>
        {
            Console.WriteLine("AlignStream up: single process");
            foreach (var (what, where) in PipelineHost.Describe(host))
            {
                Console.WriteLine($"  {what,-8} {where}");
            }
            Console.WriteLine($"  stages   {string.Join(", ", Stages.All)}");
            Console.WriteLine($"  model    {modelPath} ({modelOrigin})");
            Console.WriteLine($"  run dir  {runDirectory}");
            if (run is not null)
            {
                Console.WriteLine($"  demo     tasks {string.Join("+", demo.Tasks)}, reward models {host.Configuration["Scorer:RewardModels"]}, seed {demo.Seed}; eval on {demo.EvalPrompts} held-out prompts per task x {demo.EvalSamples} samples at temperature {demo.EvalTemperature.ToString(CultureInfo.InvariantCulture)}, at every version");
                Console.WriteLine($"  report   {reportPath} (+ .html)");
            }
            var limits = new List<string>();
            if (minutes > 0)
            {
                limits.Add($"after {minutes.ToString(CultureInfo.InvariantCulture)} minute(s)");
            }
            if (demo.MaxVersions > 0 && run is not null)
            {
                limits.Add($"after {demo.MaxVersions} new policy version(s)");
            }
            Console.WriteLine(limits.Count > 0 ? $"Stops {string.Join(" or ", limits)}; Ctrl+C stops earlier." : "Ctrl+C stops.");
            return Task.CompletedTask;
        }, cancellationToken: stop.Token).ConfigureAwait(false);

        if (run is not null && run.EvaluatedVersion < 0)
        {
            await Console.Error.WriteLineAsync("no run report: the pipeline stopped before the base model's eval finished").ConfigureAwait(false);
        }
        else if (run is not null)
        {
            var command = "align up " + string.Join(' ', Environment.GetCommandLineArgs().Skip(2));
            var report = RunReport.From(run, telemetry, command.Trim(), started);
            var html = report.Write(reportPath);
            Console.WriteLine($"report: {reportPath}");
            Console.WriteLine($"report: {html}");
            foreach (var (task, s) in report.Summary)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {task,-9} {s.Metric}: base {s.Base:F3} -> final {s.Final:F3} ({s.Delta:+0.000;-0.000}, 95% CI [{s.Ci95[0]:+0.000;-0.000}, {s.Ci95[1]:+0.000;-0.000}]) at policy v{s.FinalPolicyVersion}"));
            }
            foreach (var (task, pulls) in report.Bandit)
            {
                Console.WriteLine($"  bandit {task,-9} " + string.Join("  ", pulls.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F0}"))));
            }
        }
        return code;
    }

    /// <summary>Configuration the demo of `align up` starts from (below appsettings, environment and command line).</summary>
    public static readonly IReadOnlyDictionary<string, string?> DemoDefaults = new Dictionary<string, string?>
    {
        // One LASeR arm per reward model. The learned model is opt-in (add ",learned"): after its two-minute budget it
        // ranks held-out pairs at chance (README), so by default it would only cost forward passes.
        ["Scorer:RewardModels"] = "afinn,arith,toxicity",
        // Each group is scored by its arm's model only: an engine-backed reward model costs a forward pass per candidate.
        ["Scorer:ScoreAllRewardModels"] = "false",
        // Against reward hacking (ALGORITHMS.md §1, §0.1): the reference stays the base model, pairs are picked by RBoN-KL
        // (reward + β·log π_ref), and DPO's β is 0.5. With a per-window reference, β 0.1 and max-min pairs, the sentiment
        // policy collapses to repeated positive words within five minutes (README, "The demo").
        ["Trainer:ReferenceRefresh"] = "fixed",
        ["Trainer:Beta"] = "0.5",
        ["Scorer:Selector"] = "rbon-kl",
        ["Scorer:SelectorBeta"] = "0.05",
        // LASeR's loss: DPO plus the chosen response's NLL (--loss dpo drops it).
        ["Trainer:NllWeight"] = "1",
        // A small model on a CPU needs a far larger step than the 5e-6 default.
        ["Trainer:LearningRate"] = "0.0001",
        // A version every 10 steps: each one costs a reference reload in the scorer and an eval here.
        ["Trainer:PublishEvery"] = "10",
        ["Trainer:CheckpointEvery"] = "10",
        // More samples per arithmetic prompt: a pair needs one right and one wrong answer.
        ["Generator:Tasks:arith:Candidates"] = "16",
    };

    /// <summary>The named flags as the configuration keys they set.</summary>
    private static Dictionary<string, string?> FlagSettings(CliArgs args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (args.String("task") is { } task)
        {
            settings["Demo:Task"] = task is "sentiment" or "arith" or "mixed" ? task : throw new UsageException($"--task must be sentiment, arith or mixed (got {task})");
        }
        if (args.Has("max-versions"))
        {
            var versions = args.Int("max-versions", 0);
            settings["Demo:MaxVersions"] = versions >= 1 ? versions.ToString(CultureInfo.InvariantCulture) : throw new UsageException("--max-versions must be at least 1");
        }
        if (args.String("selector") is { } selector)
        {
            settings["Scorer:Selector"] = selector;
        }
        if (args.String("loss") is { } loss)
        {
            (settings["Trainer:SpoLambda"], settings["Trainer:NllWeight"]) = loss switch
            {
                "dpo" => ("0", "0"),
                "spo" => ("0.1", "0"),
                "dpo-nll" => ("0", "1"),
                _ => throw new UsageException($"--loss must be dpo, spo or dpo-nll (got {loss})"),
            };
        }
        if (args.String("seed") is { } seedText)
        {
            var seed = ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw new UsageException($"--seed must be a whole number >= 0 (got {seedText})");
            var text = seed.ToString(CultureInfo.InvariantCulture);
            settings["Demo:Seed"] = text;
            settings["Generator:Seed"] = text;
            settings["Trainer:Seed"] = text;
            settings["Scorer:SelectorSeed"] = (seed % int.MaxValue).ToString(CultureInfo.InvariantCulture);
        }
        return settings;
    }

    /// <summary>
    /// The folder of the learned reward model when Scorer:RewardModels lists <c>learned</c> without RewardModels:LearnedPath:
    /// the cached one, trained first (with progress, from the cached base model's backbone) when missing.
    /// </summary>
    private static string? LearnedRewardModelFor(string modelPath, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var root = Environment.GetEnvironmentVariable("ALIGN_ROOT");
        var arms = (configuration["Scorer:RewardModels"] ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (string.IsNullOrEmpty(root) || configuration["RewardModels:LearnedPath"] is not null || !arms.Contains(AlignStream.Alignment.Models.LearnedRewardModel.ModelName))
        {
            return null;
        }
        var backbone = BaseModel.CachedLearnedRewardModel(root) is null && File.Exists(Path.Combine(BaseModel.CachedPath(root), "model.safetensors")) ? BaseModel.CachedPath(root) : modelPath;
        return LearnedRewardTraining.Ensure(root, backbone, ProgressReporter.ForStandardError("train-rm"), cancellationToken);
    }

    private static void SetUnlessConfigured(IConfiguration configuration, string key, string value)
    {
        if (configuration[key] is null)
        {
            configuration[key] = value;
        }
    }

    /// <summary>Model:Path if set; else the cached base model, built first (with progress) when the checkout has none.</summary>
    private static (string Path, string Origin) ResolveModel(string? configured, string runDirectory, ulong seed, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(configured) && Environment.GetEnvironmentVariable("ALIGN_ROOT") is { Length: > 0 } root
            && !File.Exists(Path.Combine(BaseModel.CachedPath(root), "model.safetensors")))
        {
            var path = PretrainRun.EnsureBaseModel(root, ProgressReporter.ForStandardError(), cancellationToken);
            return (path, "base model built now by align pretrain and cached");
        }
        return BaseModel.Resolve(configured, runDirectory, seed);
    }
}
