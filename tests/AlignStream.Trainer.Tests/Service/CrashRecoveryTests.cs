using System.Globalization;
using System.Text.Json;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Trainer.Checkpoints;
using AlignStream.Trainer.Tests.Support;
using Confluent.Kafka;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AlignStream.Trainer.Tests.Service;

/// <summary>
/// End-to-end exactly-once check: the broker (`align broker`) and the trainer each run as their own process, the
/// state store is a real redis-server; the trainer is killed with SIGKILL at seeded random progress points several
/// times and restarted, then stopped gracefully. The trained ledger must hold every produced pair id exactly once.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CrashRecoveryTests(RedisServerFixture redis, ITestOutputHelper output) : IDisposable
{
    private const int Pairs = 240;
    private const int BatchSize = 4;
    private const int PublishEvery = 5;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly TempFolder _dir = new("trainer-crash");
    private ServerProcess? _broker;

    public void Dispose()
    {
        _broker?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Kill_minus_9_at_random_points_neither_loses_nor_retrains_a_pair()
    {
        var ns = "crash" + Guid.NewGuid().ToString("N")[..8];
        var bootstrap = await StartBrokerAsync(ns);
        var modelPath = _dir.Sub("model");
        var model = ToyModel.SaveTo(modelPath);
        var checkpoints = _dir.Sub("checkpoints");
        var weights = _dir.Sub("weights");

        // Every pair once, plus 12 redeliveries of already-produced ids spread through the stream.
        var pairs = ToyModel.Pairs(model, Pairs, "crash");
        var rng = new Random(20261122);
        var stream = new List<PreferencePair>(pairs);
        for (var i = 0; i < 12; i++)
        {
            var at = rng.Next(stream.Count / 4, stream.Count);
            stream.Insert(at, pairs[rng.Next(at / 2)]);
        }
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5 }).Build())
        {
            foreach (var p in stream)
            {
                producer.Produce($"{ns}.pairs", new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(p.Prompt.PromptId), Value = p.ToByteArray() });
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var redisNs = "r" + ns;
        string[] args =
        [
            $"--Kafka:BootstrapServers={bootstrap}", $"--Kafka:Namespace={ns}", "--Kafka:ClientId=trainer-crash",
            "--State:Store=Redis", $"--Redis:Configuration={redis.Configuration}", $"--Redis:Namespace={redisNs}", "--Bus:Transport=InMemory",
            $"--Model:Path={modelPath}", $"--Weights:Store={weights}", "--Weights:SigningKey=crash-test-signing-key-0123",
            $"--Trainer:CheckpointDirectory={checkpoints}", $"--Trainer:BatchSize={BatchSize}", $"--Trainer:PublishEvery={PublishEvery}",
            "--Trainer:CheckpointEvery=3", "--Trainer:MaxBatchWaitMs=0", "--Trainer:LearningRate=0.001", "--Trainer:BacklogIntervalMs=100",
            "--Trainer:MaxStaleness=1000000", "--Logging:LogLevel:Default=Warning",
        ];

        var kills = 0;
        for (var round = 0; round < 4; round++)
        {
            using var trainer = TrainerProcess.Start(args);
            var target = rng.Next(1, 7);
            // A fast machine can train every pair in fewer rounds; then this round kills a trainer with nothing left to do.
            var ledgerPath = Path.Combine(checkpoints, CheckpointStore.LedgerFileName);
            await Eventually.WaitAsync(async () => await trainer.StepsAsync() >= target || !trainer.IsRunning || CheckpointStore.ReadLedger(ledgerPath).Count >= Pairs / BatchSize,
                Wait, $"round {round}: trainer reaching {target} steps (or the end of the pairs) before kill -9", () => trainer.Tail());
            Assert.True(trainer.IsRunning, $"round {round}: the trainer exited on its own:\n{trainer.Tail()}");
            trainer.KillHard();
            kills++;
            var durable = CheckpointStore.ReadLedger(Path.Combine(checkpoints, CheckpointStore.LedgerFileName));
            output.WriteLine($"round {round}: killed at >= {target} steps in this process; ledger holds {durable.Count} checkpointed steps");
        }

        using var redisClient = redis.Connect();
        var db = redisClient.GetDatabase();
        var backlogKey = $"{redisNs}:value:trainer:backlog";
        // A killed process may have left "0" behind; only the final run's own report counts.
        await db.KeyDeleteAsync(backlogKey);
        using (var final = TrainerProcess.Start(args))
        {
            await Eventually.WaitAsync(async () => (string?)await db.StringGetAsync(backlogKey) == "0" || !final.IsRunning, Wait,
                "final run training every remaining pair", () => $"backlog {(string?)db.StringGet(backlogKey)}\n{final.Tail()}");
            Assert.True(final.IsRunning, $"the final trainer exited on its own:\n{final.Tail()}");
            Assert.Equal(0, final.Terminate(TimeSpan.FromSeconds(60)));
        }

        // Exactly once: the ledger's multiset of pair ids is the produced set, each id once, steps 1..S in order.
        var ledger = CheckpointStore.ReadLedger(Path.Combine(checkpoints, CheckpointStore.LedgerFileName));
        var trained = ledger.SelectMany(e => e.PairIds).ToList();
        Assert.Equal(pairs.Select(p => p.PairId).Order(StringComparer.Ordinal), trained.Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(1, Pairs / BatchSize).Select(i => (long)i), ledger.Select(e => e.Step));
        Assert.Equal(4, kills);

        // The latest checkpoint consumed every record, duplicates included.
        var latest = new CheckpointStore(checkpoints, 1000).OpenLatest()!;
        Assert.Equal(stream.Count, latest.State.Offsets.Values.Sum());

        // Versions are tied to steps (version N at step N·P) and each was published with one set of weights.
        var manifestJson = (string?)await db.StringGetAsync($"{redisNs}:policy:current");
        Assert.NotNull(manifestJson);
        using var manifest = JsonDocument.Parse(manifestJson);
        var version = manifest.RootElement.GetProperty("version").GetInt64();
        Assert.Equal(Pairs / BatchSize / PublishEvery, version);
        Assert.Equal(version * PublishEvery, manifest.RootElement.GetProperty("step").GetInt64());
        var stored = Directory.EnumerateDirectories(weights, "sha256-*").Count();
        Assert.Equal(version, stored);
    }

    private async Task<string> StartBrokerAsync(string ns)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(RepoPaths.Root, "tools", "align", "bin", configuration, "net10.0", "align.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build tools/align/AlignStream.Cli.csproj -c {configuration}");
        _broker = ServerProcess.Start("dotnet", [dll, "broker", $"--Kafka:Namespace={ns}"], RepoPaths.Root);
        string? line = null;
        await Eventually.WaitAsync(() =>
        {
            line = _broker.Tail(200).Split('\n').FirstOrDefault(l => l.StartsWith("bootstrap=", StringComparison.Ordinal));
            return line is not null;
        }, TimeSpan.FromSeconds(60), "`align broker` printing its bootstrap line", () => _broker.Tail());
        return line!["bootstrap=".Length..].Trim().ToString(CultureInfo.InvariantCulture);
    }
}
