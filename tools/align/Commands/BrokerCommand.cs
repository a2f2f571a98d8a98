using System.Runtime.InteropServices;
using AlignStream.Platform.Kafka;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align broker [--brokers N] [--exit-on-stdin-eof]`: runs librdkafka's mock cluster in the foreground with the project's
/// topics. The first line of stdout is `bootstrap=HOST:PORT[,...]` so scripts and tests can read it;
/// everything else goes to stderr. Ctrl+C or SIGTERM stops it (the data is in memory and is lost).
/// </summary>
public sealed class BrokerCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "broker";

    /// <inheritdoc />
    public string Summary => "run an embedded Kafka (librdkafka mock cluster) until Ctrl+C/SIGTERM [--brokers N]; first stdout line is bootstrap=...";

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var configuration = KafkaOptionsLoader.BuildConfiguration(args.ConfigurationArgs);
        var options = KafkaOptionsLoader.Bind(configuration);
        options.UseEmbeddedCluster = true;
        options.EmbeddedBrokers = args.Int("brokers", options.EmbeddedBrokers);
        var exitOnStdinEof = args.Flag("exit-on-stdin-eof");
        TopicsCommand.RejectUnknown(args);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                await Console.Error.WriteLineAsync($"align broker: {e}").ConfigureAwait(false);
            }
            return 1;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // SIGTERM (docker stop, kill) should stop as cleanly as Ctrl+C.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Cancel();
        });
        if (exitOnStdinEof)
        {
            // A parent that holds our stdin (a test fixture) can die without cleaning up; its pipe closing is our cue to stop.
            _ = Task.Run(async () =>
            {
                await Console.OpenStandardInput().CopyToAsync(Stream.Null, stop.Token).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
            }, stop.Token);
        }
        using var cluster = EmbeddedKafkaCluster.Start(options);
        await Console.Out.WriteLineAsync($"bootstrap={cluster.BootstrapServers}").ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);

        var names = options.Topics;
        await Console.Error.WriteLineAsync($"align broker: {cluster.BrokerCount} broker(s) on {cluster.BootstrapServers} (in memory; ports change on every start)").ConfigureAwait(false);
        foreach (var suffix in TopicNames.Suffixes)
        {
            await Console.Error.WriteLineAsync($"  topic {names.Of(suffix)}: {options.PartitionsFor(suffix)} partition(s)").ConfigureAwait(false);
        }
        await Console.Error.WriteLineAsync("  other topics are created on first use with 4 partitions. Ctrl+C or SIGTERM stops the broker.").ConfigureAwait(false);

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C / SIGTERM: the normal way to stop.
        }
        await Console.Error.WriteLineAsync("align broker: stopping").ConfigureAwait(false);
        return 0;
    }
}
