using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Model;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Scorer.Extensions;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>
/// The scorer deployable wired exactly as Program.cs does, in this process: the embedded mock Kafka cluster,
/// in-memory state store and bus, a tiny random model as reference version 0, and a weight store folder.
/// </summary>
public sealed class ScorerHost : IAsyncDisposable
{
    public const string SigningKey = "scorer-test-signing-key";

    private ScorerHost(WebApplication app, TempFolder temp, LlamaModel model, TopicCollector collector)
    {
        App = app;
        Temp = temp;
        Model = model;
        Collector = collector;
    }

    public WebApplication App { get; }

    public TempFolder Temp { get; }

    /// <summary>The reference model as saved (version 0), for independent expectations.</summary>
    public LlamaModel Model { get; }

    public TopicCollector Collector { get; }

    public IServiceProvider Services => App.Services;

    public IStateStore State => Services.GetRequiredService<IStateStore>();

    public IKafkaProducer Producer => Services.GetRequiredService<IKafkaProducer>();

    public TopicNames Topics => Services.GetRequiredService<KafkaConnection>().Topics;

    public static Task<ScorerHost> StartAsync(RewardModelRegistry registry, params string[] extra) => StartAsync(registry, null, extra);

    /// <summary>Starts a host; with <paramref name="sharedState"/> it uses that store instance (replicas of one deployment).</summary>
    public static async Task<ScorerHost> StartAsync(RewardModelRegistry registry, IStateStore? sharedState, params string[] extra)
    {
        var temp = new TempFolder("scorer-host");
        var modelDir = temp.Sub("model");
        var model = TinyModel.Save(modelDir, seed: 21);
        string[] args =
        [
            "--Metrics:Port=0",
            "--Kafka:UseEmbeddedCluster=true",
            "--Kafka:Partitions:candidates=2",
            $"--Model:Path={modelDir}",
            $"--Weights:Store={temp.Sub("store")}",
            $"--Weights:SigningKey={SigningKey}",
            "--Scorer:RewardModels=afinn,arith,toxicity",
            "--Scorer:MaxBatchWaitMs=20",
            .. extra,
        ];
        var builder = AlignHost.CreateBuilder(args);
        builder.Logging.ClearProviders();
        // Registered first, so the stage's TryAdd keeps it: a registry whose models the test controls.
        builder.Services.AddSingleton(registry);
        if (sharedState is not null)
        {
            builder.Services.AddSingleton(sharedState);
        }
        builder.AddScorerStage();
        builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddScorerConsumers());
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        await app.StartAsync();
        var collector = new TopicCollector(app.Services.GetRequiredService<KafkaConnection>());
        return new ScorerHost(app, temp, model, collector);
    }

    public async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(App.GetMetricsUri());
    }

    public async ValueTask DisposeAsync()
    {
        Collector.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Temp.Dispose();
    }
}
