using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.Tests.Fixtures;
using StackExchange.Redis;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// The loop as it runs in production: broker, generator, scorer and trainer each their own process, over the
/// mock cluster (`align broker`), a real redis-server and a real rabbitmq-server. Prompts go in; pairs are trained;
/// the trainer publishes versions; the generator serves them; records carry their versions; every /metrics serves.
/// </summary>
[Collection(DistributedServers.Name)]
public sealed class DistributedLoopTests : IDisposable
{
    private readonly RedisServerFixture _redis;
    private readonly RabbitMqFixture _rabbit;
    private readonly TempFolder _temp = new("e2e-loop");
    private readonly List<AlignProcess> _processes = [];

    public DistributedLoopTests(RedisServerFixture redis, RabbitMqFixture rabbit)
    {
        _redis = redis;
        _rabbit = rabbit;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Dispose();
        }
        _temp.Dispose();
    }

    [Fact]
    public async Task Prompts_in_pairs_trained_versions_published_and_served_across_processes()
    {
        // A tiny byte-level model keeps the run short; the code paths are the same as for a real one.
        var modelDir = Path.Combine(_temp.Path, "base");
        var config = LlamaConfig.PresetS();
        config = config with { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, HeadDim = 16, MaxPositionEmbeddings = 128 };
        LlamaModel.CreateRandom(config, seed: 7).Save(modelDir, ByteTokenizer.Instance);

        var broker = Track(AlignProcess.StartAlign(_temp.Path, "broker"));
        var bootstrap = broker.WaitForLine(l => l.StartsWith("bootstrap=", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "broker bootstrap line")["bootstrap=".Length..];
        var ns = "e2e" + Guid.NewGuid().ToString("N")[..8];
        string[] common =
        [
            $"--Kafka:BootstrapServers={bootstrap}", $"--Kafka:Namespace={ns}",
            $"--Redis:Configuration={_redis.Configuration}", "--State:Store=Redis", $"--Redis:Namespace={ns}",
            "--Bus:Transport=RabbitMq", $"--RabbitMq:Uri={_rabbit.Uri}",
            $"--Model:Path={modelDir}", $"--Weights:Store={Path.Combine(_temp.Path, "weights")}",
            "--Weights:SigningKey=e2e-signing-key-0123456789", "--Metrics:Port=0",
        ];
        var trainer = StartStage("trainer", common,
            $"--Trainer:CheckpointDirectory={Path.Combine(_temp.Path, "trainer")}", "--Trainer:PublishEvery=1",
            "--Trainer:CheckpointEvery=1", "--Trainer:BatchSize=4", "--Trainer:MaxBatchWaitMs=200", "--Trainer:LearningRate=1e-3",
            "--Trainer:MaxStaleness=100");
        var scorer = StartStage("scorer", common, "--Scorer:RewardModels=length,afinn");
        var generator = StartStage("generator", common, "--Generator:Defaults:Candidates=4", "--Generator:Defaults:MaxNewTokens=24",
            "--Generator:Defaults:Temperature=1.0", "--Generator:WeightsPollSeconds=1", "--Generator:Slots=16");
        var urls = new Dictionary<string, Uri>
        {
            ["trainer"] = MetricsUrl(trainer, "trainer"),
            ["scorer"] = MetricsUrl(scorer, "scorer"),
            ["generator"] = MetricsUrl(generator, "generator"),
        };

        var prompts = Path.Combine(_temp.Path, "prompts.jsonl");
        await File.WriteAllLinesAsync(prompts, Enumerable.Range(0, 48).Select(i => JsonSerializer.Serialize(new
        {
            text = i % 2 == 0 ? $"Story {i}: the morning was" : $"{i + 3}+{i * 2}=",
            task = i % 2 == 0 ? "sentiment" : "arith",
        })));
        var (pushCode, pushOut) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "prompts", "push", "--file", prompts, "--bootstrap", bootstrap, $"--Kafka:Namespace={ns}"],
            TimeSpan.FromSeconds(60));
        Assert.True(pushCode == 0, pushOut);

        // Two versions published by the trainer (pointer in Redis) ...
        using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var db = redis.GetDatabase();
        long published = 0;
        await Eventually.WaitAsync(async () =>
        {
            var json = (string?)await db.StringGetAsync($"{ns}:policy:current");
            if (json is null)
            {
                return false;
            }
            using var doc = JsonDocument.Parse(json);
            published = ReadVersion(doc.RootElement);
            return published >= 2;
        }, TimeSpan.FromMinutes(4), "the trainer publishing policy version 2", () => $"policy pointer at version {published}\ntrainer:\n{trainer.Tail(15)}\nscorer:\n{scorer.Tail(10)}");

        // ... and served by the generator, as its metrics say.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        double served = 0;
        await Eventually.WaitAsync(async () =>
        {
            served = Gauge(await http.GetStringAsync(urls["generator"]), "align_weights_serving_version{kind=\"policy\"}");
            return served >= 2;
        }, TimeSpan.FromMinutes(2), "the generator serving version 2", () => $"generator serves {served}\n{generator.Tail(15)}");

        // Records carry their versions: prompts pushed now are generated by a trained version, and their pairs say so.
        var later = Path.Combine(_temp.Path, "prompts-later.jsonl");
        await File.WriteAllLinesAsync(later, Enumerable.Range(100, 16).Select(i => JsonSerializer.Serialize(new { text = $"Note {i}: today I", task = "sentiment" })));
        var (laterCode, laterOut) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "prompts", "push", "--file", later, "--bootstrap", bootstrap, $"--Kafka:Namespace={ns}"],
            TimeSpan.FromSeconds(60));
        Assert.True(laterCode == 0, laterOut);
        var lastTail = "";
        await Eventually.WaitAsync(() =>
        {
            var (code, output) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "topics", "tail", $"{ns}.pairs", "--bootstrap", bootstrap,
                "--from-beginning", "--timeout", "5", $"--Kafka:Namespace={ns}"], TimeSpan.FromSeconds(60));
            lastTail = output.Length > 2000 ? output[^2000..] : output;
            // Protobuf JSON leaves out zero values, so the field appears only for versions >= 1.
            return code == 0 && output.Contains("\"behaviorPolicyVersion\"", StringComparison.Ordinal);
        }, TimeSpan.FromMinutes(3), "a pair generated by a trained policy version (behavior_policy_version >= 1)",
            () => $"last tail:\n{lastTail}\ngenerator:\n{generator.Tail(10)}\nscorer:\n{scorer.Tail(10)}");

        // Pairs were trained, and every stage's /metrics serves its own series.
        var trainerMetrics = await http.GetStringAsync(urls["trainer"]);
        Assert.True(Gauge(trainerMetrics, "align_trainer_pairs_trained_total") > 0, "the trainer reports trained pairs");
        Assert.Contains("align_scorer_sets_scored_total", await http.GetStringAsync(urls["scorer"]), StringComparison.Ordinal);
        Assert.Contains("align_generator_candidate_sets_published_total", await http.GetStringAsync(urls["generator"]), StringComparison.Ordinal);

        foreach (var (name, p) in new[] { ("generator", generator), ("scorer", scorer), ("trainer", trainer) })
        {
            Assert.True(p.Interrupt(TimeSpan.FromSeconds(60)) == 0, $"{name} did not stop cleanly:\n{p.Tail()}");
        }
    }

    private AlignProcess Track(AlignProcess p)
    {
        _processes.Add(p);
        return p;
    }

    private AlignProcess StartStage(string stage, string[] common, params string[] extra) =>
        Track(AlignProcess.StartAlign(_temp.Path, ["run", stage, .. common, .. extra]));

    private static Uri MetricsUrl(AlignProcess p, string stage)
    {
        var line = p.WaitForLine(l => l.StartsWith($"{stage}: metrics ", StringComparison.Ordinal), TimeSpan.FromSeconds(120), $"{stage} start line");
        return new Uri(line[$"{stage}: metrics ".Length..].Trim());
    }

    private static long ReadVersion(JsonElement root)
    {
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name.Equals("version", StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.GetInt64();
            }
        }
        return 0;
    }

    /// <summary>Value of a series in a Prometheus exposition (sum over matching lines when labels are not given).</summary>
    private static double Gauge(string exposition, string series)
    {
        double total = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal) || (!series.Contains('{', StringComparison.Ordinal) && line.StartsWith(series + "{", StringComparison.Ordinal)))
            {
                total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return total;
    }
}
