using System.Globalization;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Engine.Sampling;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Extensions;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Tests.Kafka;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Generator.Tests.Support;

/// <summary>
/// One generator under test: an in-process mock Kafka cluster with a fresh namespace, a tiny random model folder,
/// a weight store, an in-memory state store kept across restarts, and the generator stage hosted with the
/// in-memory bus. Hosts are started and stopped on demand.
/// </summary>
public sealed class GeneratorHarness : IAsyncDisposable
{
    public const string SigningKey = "generator-tests-signing-key";
    public const ulong Seed = 4242;
    private readonly TempFolder _dir = new("generator-svc");
    private readonly IProducer<byte[], byte[]> _producer;
    private WebApplication? _app;

    public GeneratorHarness(int promptPartitions = 2)
    {
        Namespace = "g" + Guid.NewGuid().ToString("N")[..10];
        Cluster = EmbeddedKafkaCluster.Start(1, new Dictionary<string, int>
        {
            [Namespace + ".prompts"] = promptPartitions,
            [Namespace + ".candidates"] = 2,
            [Namespace + ".dlq"] = 1,
        });
        ModelPath = TinyPolicy.SaveFolder(_dir.Sub("model"), seed: 1);
        WeightStore = _dir.Sub("weights");
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 1 })
            .SetLogHandler((_, _) => { }).Build();
    }

    public string Namespace { get; }

    public EmbeddedKafkaCluster Cluster { get; }

    public string ModelPath { get; }

    public string WeightStore { get; }

    public InMemoryStateStore State { get; } = new();

    public WebApplication App => _app ?? throw new InvalidOperationException("start the generator first");

    public PolicyRuntime Policy => App.Services.GetRequiredService<PolicyRuntime>();

    public ContinuousBatchDecoder Decoder => App.Services.GetRequiredService<ContinuousBatchDecoder>();

    public KafkaConnection Connection => App.Services.GetRequiredService<KafkaConnection>();

    public string Folder(string name) => _dir.Sub(name);

    /// <summary>Starts a generator host; <paramref name="configure"/> may add services (e.g. a logits processor).</summary>
    public async Task StartAsync(string[]? extraArgs = null, Action<IServiceCollection>? configure = null)
    {
        string[] args =
        [
            $"--Kafka:BootstrapServers={Cluster.BootstrapServers}", $"--Kafka:Namespace={Namespace}", "--Kafka:ClientId=generator-tests",
            $"--Model:Path={ModelPath}", $"--Weights:Store={WeightStore}", $"--Weights:SigningKey={SigningKey}",
            $"--Generator:Seed={Seed.ToString(CultureInfo.InvariantCulture)}", "--Generator:GeneratorId=gen-test", "--Generator:Slots=4",
            "--Generator:MaxPromptTokens=32", "--Generator:Defaults:Candidates=3", "--Generator:Defaults:MaxNewTokens=12",
            "--Generator:Defaults:Temperature=0.9", "--Generator:BatchWaitMs=20", "--Generator:HeartbeatSeconds=1",
            "--Generator:BackpressurePollMs=20",
            .. extraArgs ?? [],
        ];
        var builder = TestHosts.CreateBuilder(args);
        builder.Services.AddSingleton<IStateStore>(State);
        configure?.Invoke(builder.Services);
        builder.AddGeneratorStage();
        builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddGeneratorConsumers("test-" + Namespace));
        _app = await TestHosts.StartAsync(builder);
    }

    /// <summary>Graceful stop.</summary>
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

    /// <summary>A prompt record as `align prompts push` writes it.</summary>
    public static Prompt Prompt(string id, string text, string task = "chat") => new()
    {
        SchemaVersion = RecordSchema.Version,
        PromptId = id,
        Task = task,
        Text = text,
        Experiment = "tests",
        CreatedAtUnixMs = 1_700_000_000_000,
    };

    /// <summary>Produces prompts keyed by id and waits for the acknowledgements.</summary>
    public async Task ProduceAsync(params Prompt[] prompts)
    {
        foreach (var p in prompts)
        {
            await _producer.ProduceAsync(Namespace + ".prompts", new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(p.PromptId), Value = p.ToByteArray() });
        }
    }

    /// <summary>Reads <paramref name="expected"/> candidate sets from the start of the topic.</summary>
    public async Task<IReadOnlyList<CandidateSet>> ReadCandidatesAsync(int expected, string phase, int timeoutSeconds = 90)
    {
        var records = await TopicReader.ReadAsync(Connection, Namespace + ".candidates", expected, TimeSpan.FromSeconds(timeoutSeconds), phase);
        return records.Select(r => CandidateSet.Parser.ParseFrom(r.Message.Value)).ToArray();
    }

    /// <summary>Reads <paramref name="expected"/> dead letters.</summary>
    public Task<IReadOnlyList<ConsumeResult<byte[], byte[]>>> ReadDeadLettersAsync(int expected, string phase) =>
        TopicReader.ReadAsync(Connection, Namespace + ".dlq", expected, TimeSpan.FromSeconds(90), phase);

    /// <summary>Reads /metrics of the running host.</summary>
    public async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(App.GetMetricsUri());
    }

    /// <summary>The value of the first exposition line of <paramref name="name"/> whose labels contain every fragment, or null.</summary>
    public static double? MetricValue(string exposition, string name, params string[] labelFragments)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal)))
            {
                continue;
            }
            if (labelFragments.All(f => line.Contains(f, StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>The engine's generator alone on one prompt and seed: the reference a candidate must equal.</summary>
    public static Engine.Inference.GenerationResult Reference(Engine.Model.LlamaModel model, int[] prompt, SamplingOptions options, ulong seed) =>
        new Engine.Inference.Generator(model, 1, 64).Generate([prompt], options, [new Xoshiro256(seed)])[0];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _producer.Dispose();
        Cluster.Dispose();
        _dir.Dispose();
    }
}
