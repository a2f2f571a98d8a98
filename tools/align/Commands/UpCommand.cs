using AlignStream.Cli.Hosting;
using AlignStream.Platform.Hosting;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align up`: the whole pipeline in one process — embedded Kafka, in-memory bus and state store, one
/// metrics endpoint — until Ctrl+C or --minutes.
/// </summary>
public sealed class UpCommand : ICommand
{
    public string Name => "up";

    public string Summary => "run the single-process pipeline (embedded Kafka, in-memory bus and store, /metrics)";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        var minutes = args.Double("minutes", 0);
        if (minutes < 0)
        {
            throw new UsageException("--minutes must be positive (or 0 to run until Ctrl+C)");
        }
        var runDirectory = Path.GetFullPath(args.String("run-dir") ?? Path.Combine(".runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        var unknown = args.Unread().ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option --{unknown[0]}; configuration keys go as --Section:Key=Value");
        }
        Directory.CreateDirectory(runDirectory);

        var defaults = new Dictionary<string, string?>(PipelineHost.SingleProcessDefaults(runDirectory));
        var builder = PipelineHost.CreateBuilder(args.ConfigurationArgs, defaults);
        var seed = ulong.Parse(builder.Configuration["Up:Seed"] ?? "1234", System.Globalization.CultureInfo.InvariantCulture);
        var (modelPath, modelOrigin) = BaseModel.Resolve(builder.Configuration["Model:Path"], runDirectory, seed);
        builder.Configuration["Model:Path"] = modelPath;
        Stages.Add(builder, Stages.All);
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (minutes > 0)
        {
            stop.CancelAfter(TimeSpan.FromMinutes(minutes));
        }
        return await AlignHost.RunAsync(app, started =>
        {
            Console.WriteLine("AlignStream up: single process");
            foreach (var (what, where) in PipelineHost.Describe(started))
            {
                Console.WriteLine($"  {what,-8} {where}");
            }
            Console.WriteLine($"  stages   {string.Join(", ", Stages.All)}");
            Console.WriteLine($"  model    {modelPath} ({modelOrigin})");
            Console.WriteLine($"  run dir  {runDirectory}");
            Console.WriteLine(minutes > 0 ? $"Stops after {minutes} minute(s); Ctrl+C stops earlier." : "Ctrl+C stops.");
            return Task.CompletedTask;
        }, cancellationToken: stop.Token);
    }
}
