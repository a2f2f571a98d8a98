using AlignStream.Contracts.Records;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Trainer.Checkpoints;
using AlignStream.Trainer.Extensions;
using AlignStream.Trainer.Worker;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Trainer.Tests.Support;

/// <summary>
/// One trainer pipeline for a test: an embedded Kafka cluster with a fresh namespace, a model folder, weight store
/// and checkpoint folders, a state store shared across restarts, and trainer hosts started and stopped on demand.
/// </summary>
public sealed class TrainerHarness : IAsyncDisposable
{
    public const string SigningKey = "trainer-tests-signing-key";
    private readonly TempFolder _dir = new("trainer-svc");
    private readonly IProducer<byte[], byte[]> _producer;
    private WebApplication? _app;

    public TrainerHarness(params string[] extraArgs)
    {
        Namespace = "t" + Guid.NewGuid().ToString("N")[..10];
        Cluster = EmbeddedKafkaCluster.Start(1, new Dictionary<string, int> { [Namespace + ".pairs"] = 4, [Namespace + ".dlq"] = 1 });
        ModelPath = _dir.Sub("model");
        BaseModel = ToyModel.SaveTo(ModelPath);
        WeightStore = _dir.Sub("weights");
        CheckpointDirectory = _dir.Sub("checkpoints");
        ExtraArgs = extraArgs;
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 1 }).Build();
    }

    public string Namespace { get; }

    public EmbeddedKafkaCluster Cluster { get; }

    public string ModelPath { get; }

    public Engine.Model.LlamaModel BaseModel { get; }

    public string WeightStore { get; }

    public string CheckpointDirectory { get; }

    public string[] ExtraArgs { get; }

    public InMemoryStateStore State { get; } = new();

    public EventLog Events { get; } = new();

    public TrainerWorker Worker => _app!.Services.GetRequiredService<TrainerWorker>();

    public WebApplication App => _app!;

    public string PairsTopic => Namespace + ".pairs";

    public string DeadLetterTopic => Namespace + ".dlq";

    public CheckpointStore Checkpoints => new(CheckpointDirectory, 1000);

    /// <summary>Starts a trainer host and waits until it has assigned its partitions.</summary>
    public async Task StartAsync()
    {
        string[] args =
        [
            $"--Kafka:BootstrapServers={Cluster.BootstrapServers}", $"--Kafka:Namespace={Namespace}", "--Kafka:ClientId=trainer-tests",
            $"--Model:Path={ModelPath}", $"--Weights:Store={WeightStore}", $"--Weights:SigningKey={SigningKey}",
            $"--Trainer:CheckpointDirectory={CheckpointDirectory}", "--Trainer:LearningRate=0.01", "--Trainer:BacklogIntervalMs=100",
            "--Scorer:RewardModels=length,afinn",
            .. ExtraArgs,
        ];
        var builder = TestHosts.CreateBuilder(args);
        builder.Services.AddSingleton<IStateStore>(State);
        builder.Services.AddSingleton(Events);
        builder.AddTrainerStage();
        builder.Services.AddAlignBus(builder.Configuration, bus =>
        {
            bus.AddTrainerConsumers();
            bus.AddConsumer<PolicyRecorder>();
            bus.AddConsumer<ReferenceRecorder>();
            bus.AddConsumer<FeedbackRecorder>();
        });
        _app = await TestHosts.StartAsync(builder);
        await Worker.Ready.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Graceful stop (drain + shutdown checkpoint).</summary>
    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>Produces records keyed by prompt id and waits for the acknowledgements.</summary>
    public async Task ProduceAsync(IEnumerable<PreferencePair> pairs)
    {
        foreach (var p in pairs)
        {
            await _producer.ProduceAsync(PairsTopic, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(p.Prompt.PromptId), Value = p.ToByteArray() });
        }
    }

    /// <summary>Produces raw bytes (for dead-letter tests).</summary>
    public Task ProduceRawAsync(byte[] value) =>
        _producer.ProduceAsync(PairsTopic, new Message<byte[], byte[]> { Key = "bad"u8.ToArray(), Value = value });

    /// <summary>The trained ledger's pair ids, in order.</summary>
    public List<string> LedgerPairIds() => CheckpointStore.ReadLedger(Path.Combine(CheckpointDirectory, CheckpointStore.LedgerFileName)).SelectMany(e => e.PairIds).ToList();

    /// <summary>Waits until the trainer has taken <paramref name="steps"/> steps.</summary>
    public Task WaitForStepsAsync(long steps, string phase) =>
        Eventually.WaitAsync(() => Worker.Step >= steps, TimeSpan.FromSeconds(60), phase, () => $"step {Worker.Step}");

    /// <summary>Waits until the backlog value says every record was consumed and trained.</summary>
    public Task WaitForEmptyBacklogAsync(string phase) =>
        Eventually.WaitAsync(async () => await State.GetValueAsync(TrainerWorker.BacklogKey) == "0", TimeSpan.FromSeconds(60), phase,
            () => $"backlog {State.GetValueAsync(TrainerWorker.BacklogKey).Result ?? "unset"}, step {Worker.Step}");

    /// <summary>Reads /metrics of the running host.</summary>
    public async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(_app!.GetMetricsUri());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _producer.Dispose();
        Cluster.Dispose();
        _dir.Dispose();
    }
}
