using System.Globalization;
using System.Text.Json;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// The distributed pipeline for a test: `align broker` as its own process, a tiny byte-level model, and each stage
/// started as `align run STAGE` with the shared configuration (real Redis and RabbitMQ from the fixtures).
/// </summary>
public sealed class LoopCluster : IDisposable
{
    private readonly List<AlignProcess> _processes = [];
    private readonly string[] _common;

    public LoopCluster(string root, RedisServerFixture redis, RabbitMqFixture rabbit)
    {
        Root = root;
        ModelPath = TinyModel.Save(Path.Combine(root, "base"), seed: 7);
        var broker = Track(AlignProcess.StartAlign(root, "broker"));
        Bootstrap = broker.WaitForLine(l => l.StartsWith("bootstrap=", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "broker bootstrap line")["bootstrap=".Length..];
        Namespace = "e2e" + Guid.NewGuid().ToString("N")[..8];
        _common =
        [
            $"--Kafka:BootstrapServers={Bootstrap}", $"--Kafka:Namespace={Namespace}",
            $"--Redis:Configuration={redis.Configuration}", "--State:Store=Redis", $"--Redis:Namespace={Namespace}",
            "--Bus:Transport=RabbitMq", $"--RabbitMq:Uri={rabbit.Uri}",
            $"--Model:Path={ModelPath}", $"--Weights:Store={Path.Combine(root, "weights")}",
            "--Weights:SigningKey=e2e-signing-key-0123456789", "--Metrics:Port=0",
        ];
    }

    public string Root { get; }

    public string ModelPath { get; }

    public string Bootstrap { get; }

    public string Namespace { get; }

    public string TrainerDirectory => Path.Combine(Root, "trainer");

    public static readonly string[] TrainerArgs =
    [
        "--Trainer:PublishEvery=1", "--Trainer:CheckpointEvery=1", "--Trainer:BatchSize=4", "--Trainer:MaxBatchWaitMs=200",
        "--Trainer:LearningRate=1e-3", "--Trainer:MaxStaleness=100",
    ];

    public static readonly string[] GeneratorArgs =
    [
        "--Generator:Defaults:Candidates=4", "--Generator:Defaults:MaxNewTokens=24", "--Generator:Defaults:Temperature=1.0",
        "--Generator:WeightsPollSeconds=1", "--Generator:Slots=16",
    ];

    /// <summary>Starts one stage and returns it with its metrics URL.</summary>
    public (AlignProcess Process, Uri Metrics) Start(string stage, params string[] extra)
    {
        string[] stageArgs = stage == "trainer" ? [$"--Trainer:CheckpointDirectory={TrainerDirectory}"] : [];
        var p = Track(AlignProcess.StartAlign(Root, ["run", stage, .. _common, .. stageArgs, .. extra]));
        var line = p.WaitForLine(l => l.StartsWith($"{stage}: metrics ", StringComparison.Ordinal), TimeSpan.FromSeconds(120), $"{stage} start line");
        return (p, new Uri(line[$"{stage}: metrics ".Length..].Trim()));
    }

    /// <summary>Pushes prompts through `align prompts push`.</summary>
    public async Task PushAsync(IEnumerable<object> prompts)
    {
        var file = Path.Combine(Root, $"prompts-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, prompts.Select(p => JsonSerializer.Serialize(p)));
        var (code, output) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "prompts", "push", "--file", file, "--bootstrap", Bootstrap, $"--Kafka:Namespace={Namespace}"],
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
    }

    /// <summary>Every record of a topic (suffix such as "pairs"), decoded by `align topics tail`.</summary>
    public List<JsonElement> Records(string suffix)
    {
        var (code, output) = ServerProcess.RunToEnd("dotnet", [AlignProcess.AlignDll, "topics", "tail", $"{Namespace}.{suffix}", "--bootstrap", Bootstrap,
            "--from-beginning", "--timeout", "5", $"--Kafka:Namespace={Namespace}"], TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            return [];
        }
        return [.. output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>Value of a series in a Prometheus exposition (summed over label sets when none are given).</summary>
    public static double Series(string exposition, string series)
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

    public AlignProcess Track(AlignProcess p)
    {
        _processes.Add(p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Dispose();
        }
    }
}
