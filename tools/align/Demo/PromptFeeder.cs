using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;

namespace AlignStream.Cli.Demo;

/// <summary>
/// Streams the demo prompts into <c>align.prompts</c> in task-homogeneous chunks, keeping at most
/// <see cref="DemoOptions.MaxInFlight"/> prompts pushed but not yet published as candidate sets: the queue stays short,
/// so the data the trainer sees was sampled by a recent policy. Prompt ids carry the seed and a sequence number, so a
/// run is replayable from (weights, records, seed).
/// </summary>
public sealed partial class PromptFeeder(
    DemoTasks tasks, DemoTelemetry telemetry, IKafkaProducer producer, KafkaConnection connection, ILogger<PromptFeeder> logger) : BackgroundService
{
    private long _pushed;

    /// <summary>Prompts pushed so far.</summary>
    public long Pushed => Interlocked.Read(ref _pushed);

    /// <summary>Prompts pushed and not yet answered with a candidate set (or a dead letter).</summary>
    public long InFlight => Pushed - (long)telemetry.Sum(MetricNames.Generator.CandidateSetsPublished) - (long)telemetry.Sum(MetricNames.Generator.PromptsRejected);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var topic = connection.Topics.Prompts;
        LogStarted(topic, string.Join("+", tasks.Options.Tasks), tasks.StreamOpenings, tasks.Options.MaxInFlight);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (InFlight + tasks.Options.Chunk > tasks.Options.MaxInFlight)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var chunk = tasks.NextChunk();
                var sends = new List<Task>(chunk.Count);
                foreach (var p in chunk)
                {
                    var id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"demo-{tasks.Options.Seed}-{Pushed + sends.Count}");
                    var prompt = new Prompt
                    {
                        SchemaVersion = RecordSchema.Version,
                        PromptId = id,
                        Task = p.Task,
                        Text = p.Text,
                        Experiment = "demo",
                        CreatedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    };
                    sends.Add(producer.ProduceAsync(topic, id, prompt, cancellationToken: stoppingToken));
                }
                await Task.WhenAll(sends).ConfigureAwait(false);
                Interlocked.Add(ref _pushed, chunk.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: prompts already pushed are in Kafka and are generated for on the next start.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "demo prompts into {Topic}: tasks {Tasks}, {Openings} held-out sentence openings, at most {InFlight} in flight")]
    private partial void LogStarted(string topic, string tasks, int openings, int inFlight);
}
