using System.Globalization;
using AlignStream.Cli.Demo;
using AlignStream.Cli.Hosting;
using AlignStream.Cli.Pretraining;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align train-rm [--base DIR] [--out DIR] [--minutes M | --steps N] [--seed S] [--threads T] [--lr LR] [--head-lr LR]`: trains the demo's
/// learned reward model (Bradley–Terry on AFINN-labelled continuations of the Brown training sentences) from the base
/// model, by default into the cache `align up` reads.
/// </summary>
public sealed class TrainRmCommand : ICommand
{
    public string Name => "train-rm";

    public string Summary => "train-rm [--base DIR] [--out DIR] [--minutes M | --steps N] [--seed S] [--threads T] [--lr LR] [--head-lr LR]: train the demo's learned reward model";

    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = Environment.GetEnvironmentVariable("ALIGN_ROOT") ?? Directory.GetCurrentDirectory();
        var baseModel = args.String("base") ?? BaseModel.CachedPath(root);
        var outDirectory = args.String("out") ?? BaseModel.CachedLearnedRewardModelPath(root);
        var minutes = args.Double("minutes", 2);
        int? steps = args.Has("steps") ? args.Int("steps", 0) : null;
        var defaults = new LearnedRewardTraining.Settings();
        var settings = new LearnedRewardTraining.Settings(minutes, steps, (ulong)args.Long("seed", 1), Threads: args.Int("threads", 2),
            LearningRate: args.Double("lr", defaults.LearningRate), HeadLearningRate: args.Double("head-lr", defaults.HeadLearningRate));
        if (args.Unread().FirstOrDefault() is { } unknown)
        {
            throw new UsageException($"unknown option --{unknown}");
        }
        if (minutes <= 0 || steps is <= 0 || settings.Threads < 1 || !(settings.LearningRate > 0) || !(settings.HeadLearningRate > 0))
        {
            throw new UsageException("--minutes, --steps, --threads, --lr and --head-lr must be positive");
        }
        if (!File.Exists(Path.Combine(baseModel, "model.safetensors")))
        {
            Console.Error.WriteLine($"align train-rm: {baseModel} has no model.safetensors; run `align pretrain` first or pass --base DIR");
            return Task.FromResult(1);
        }
        var command = "align " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        var accuracy = LearnedRewardTraining.Train(baseModel, outDirectory, settings, command, ProgressReporter.ForStandardError("train-rm"), cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"learned reward model: held-out pair accuracy {accuracy:F3}; wrote {Path.GetFullPath(outDirectory)}"));
        return Task.FromResult(0);
    }
}
