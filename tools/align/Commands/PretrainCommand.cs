using AlignStream.Cli.Pretraining;
using AlignStream.Engine.IO;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align pretrain [--config S] [--minutes M | --steps N] [--seed S] [--out DIR] [--batch B] [--lr LR] [--threads T]`:
/// trains the byte-level base model on the Brown corpus mixed with arithmetic and writes it (with
/// pretrain.json) to DIR, by default the cache `align up` serves from.
/// </summary>
public sealed class PretrainCommand : ICommand
{
    /// <summary>Budget when neither --minutes nor --steps is given: a few minutes on two cores.</summary>
    public const double DefaultMinutes = 6;

    /// <inheritdoc />
    public string Name => "pretrain";

    /// <inheritdoc />
    public string Summary => "pretrain [--config S|M|XS] [--minutes M | --steps N] [--seed S] [--out DIR] [--batch B] [--lr LR] [--threads T]: train the base model";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = ParseOptions(args, out var outDirectory, out var json);
        var command = "align " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote));
        var reporter = ProgressReporter.ForStandardError();
        PretrainRecord record;
        try
        {
            record = PretrainRun.Execute(options, outDirectory, command, reporter, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"align pretrain: {e.Message}");
            return Task.FromResult(1);
        }
        if (json)
        {
            Console.WriteLine(record.ToJson());
        }
        else
        {
            Console.WriteLine($"pretrained {record.Steps} steps, {record.Tokens} tokens in {ProgressReporter.Duration(record.TrainSeconds)} ({record.TokensPerSecond:F0} tok/s): train loss {record.FinalTrainLoss:F3}, held-out loss {record.FinalHeldOutLoss:F3} (from {record.InitialHeldOutLoss:F3})");
            Console.WriteLine($"wrote {Path.GetFullPath(outDirectory)} (config.json, model.safetensors, {PretrainRecord.FileName})");
        }
        return Task.FromResult(0);
    }

    /// <summary>Reads and validates the flags; usage errors name the flag and the fix.</summary>
    public static PretrainOptions ParseOptions(CliArgs args, out string outDirectory, out bool json)
    {
        ArgumentNullException.ThrowIfNull(args);
        var configName = (args.String("config") ?? "S").ToUpperInvariant();
        var config = PresetConfig(configName) ?? throw new UsageException($"--config must be S, M or XS (tiny, for tests), got '{args.String("config")}'");
        int? steps = args.Has("steps") ? args.Int("steps", 0) : null;
        double? minutes = args.Has("minutes") ? args.Double("minutes", 0) : null;
        if (steps is not null && minutes is not null)
        {
            throw new UsageException("give either --steps N (exact, reproducible) or --minutes M (a time budget), not both");
        }
        if (steps is null && minutes is null)
        {
            minutes = DefaultMinutes;
        }
        if (args.Has("seed") && args.String("seed") is { } seedText && !ulong.TryParse(seedText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            throw new UsageException($"--seed expects a non-negative integer, got '{seedText}'");
        }
        var seed = args.String("seed") is { } st ? ulong.Parse(st, System.Globalization.CultureInfo.InvariantCulture) : 1UL;
        var defaults = new PretrainOptions { Config = config };
        var options = defaults with
        {
            ConfigName = configName,
            Steps = steps,
            Minutes = minutes,
            Seed = seed,
            BatchRows = args.Int("batch", defaults.BatchRows),
            LearningRate = args.Double("lr", defaults.LearningRate),
            WarmupSteps = args.Int("warmup", defaults.WarmupSteps),
            Threads = args.Int("threads", Math.Clamp(Environment.ProcessorCount, 1, 4)),
            ArithmeticShare = args.Double("arith-share", defaults.ArithmeticShare),
            EvalEvery = args.Int("eval-every", defaults.EvalEvery),
            EvalRows = args.Int("eval-rows", defaults.EvalRows),
            HeldOutEvery = args.Int("held-out-every", defaults.HeldOutEvery),
            WeightDecay = args.Double("weight-decay", defaults.WeightDecay),
            ClipNorm = args.Double("clip", defaults.ClipNorm),
        };
        var outArg = args.String("out");
        if (args.Has("out") && string.IsNullOrWhiteSpace(outArg))
        {
            throw new UsageException("--out expects a folder");
        }
        json = args.Flag("json");
        LogprobsCommand.RejectUnread(args);
        if (args.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positional[0]}'; flags are --name value");
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        outDirectory = outArg ?? DefaultOutDirectory();
        return options;
    }

    /// <summary>The preset named S, M or XS, or null.</summary>
    public static LlamaConfig? PresetConfig(string name) => name.ToUpperInvariant() switch
    {
        "S" => LlamaConfig.PresetS(),
        "M" => LlamaConfig.PresetM(),
        // A tiny model for tests and smoke runs: seconds, not minutes.
        "XS" => LlamaConfig.PresetS() with { HiddenSize = 64, IntermediateSize = 172, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128 },
        _ => null,
    };

    /// <summary>`.cache/models/base` under the repository root (ALIGN_ROOT, else the folder holding AlignStream.slnx above the current one).</summary>
    public static string DefaultOutDirectory()
    {
        var root = Environment.GetEnvironmentVariable("ALIGN_ROOT");
        if (string.IsNullOrEmpty(root))
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
                {
                    root = dir.FullName;
                    break;
                }
            }
        }
        return string.IsNullOrEmpty(root)
            ? throw new UsageException("cannot find the repository root (no ALIGN_ROOT, no AlignStream.slnx above the current folder); pass --out DIR")
            : Hosting.BaseModel.CachedPath(root);
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:+,".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
