using AlignStream.Cli.Hosting;
using AlignStream.Platform.Hosting;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align run generator|scorer|trainer [--Section:Key=Value ...]`: one stage's deployable in the foreground, pointed
/// at Kafka, Redis and RabbitMQ by configuration (what the Kubernetes manifests run).
/// </summary>
public sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Summary => "run one stage (generator|scorer|trainer) in the foreground, configured by --Section:Key=Value";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        if (args.Positional.Count != 1 || !Stages.All.Contains(args.Positional[0]))
        {
            throw new UsageException("say which stage: align run generator|scorer|trainer [--Kafka:BootstrapServers=... --Redis:Configuration=... --RabbitMq:Uri=... --Model:Path=...]");
        }
        var unknown = args.Unread().ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option --{unknown[0]}; configuration keys go as --Section:Key=Value");
        }
        var stage = args.Positional[0];
        var builder = PipelineHost.CreateBuilder(args.ConfigurationArgs, new Dictionary<string, string?>());
        Stages.Add(builder, [stage]);
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        return await AlignHost.RunAsync(app, started =>
        {
            Console.WriteLine($"{stage}: metrics {started.GetMetricsUri()}");
            Console.Out.Flush();
            return Task.CompletedTask;
        }, cancellationToken: cancellationToken);
    }
}
