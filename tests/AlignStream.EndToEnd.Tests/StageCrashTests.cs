using System.Net.Http;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// kill -9 of a generator and of a scorer mid-stream: after restarts no prompt is lost, re-delivered work carries the
/// same deterministic record ids, and the trainer downstream trains each pair id once.
/// </summary>
[Collection(DistributedServers.Name)]
public sealed class StageCrashTests : IDisposable
{
    private readonly TempFolder _temp = new("e2e-crash");
    private readonly LoopCluster _cluster;

    public StageCrashTests(RedisServerFixture redis, RabbitMqFixture rabbit) => _cluster = new LoopCluster(_temp.Path, redis, rabbit);

    public void Dispose()
    {
        _cluster.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Killing_generator_and_scorer_loses_no_prompt_and_trains_no_pair_twice()
    {
        const int Prompts = 40;
        var (trainer, _) = _cluster.Start("trainer", [.. LoopCluster.TrainerArgs, "--Trainer:PublishEvery=1000", "--Trainer:CheckpointEvery=1"]);
        var (scorer, scorerUrl) = _cluster.Start("scorer", "--Scorer:RewardModels=length");
        var (generator, generatorUrl) = _cluster.Start("generator", [.. LoopCluster.GeneratorArgs, "--Generator:BatchSize=4"]);
        var promptIds = Enumerable.Range(0, Prompts).Select(i => $"crash-{i:D3}").ToHashSet();
        await _cluster.PushAsync(promptIds.Select(id => (object)new { prompt_id = id, text = $"{id}: once upon a time", task = "sentiment" }));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.WaitAsync(async () => LoopCluster.Series(await http.GetStringAsync(generatorUrl), "align_generator_candidate_sets_published_total") >= 4,
            TimeSpan.FromMinutes(2), "the generator publishing its first candidate sets", () => generator.Tail(10));
        generator.KillHard();
        (generator, _) = _cluster.Start("generator", [.. LoopCluster.GeneratorArgs, "--Generator:BatchSize=4"]);

        await Eventually.WaitAsync(async () => LoopCluster.Series(await http.GetStringAsync(scorerUrl), "align_scorer_sets_scored_total") >= 8,
            TimeSpan.FromMinutes(2), "the scorer scoring its first sets", () => scorer.Tail(10));
        scorer.KillHard();
        (scorer, _) = _cluster.Start("scorer", "--Scorer:RewardModels=length");

        // No prompt lost: every prompt reaches align.scored.
        var scoredIds = new HashSet<string>();
        await Eventually.WaitAsync(() =>
        {
            scoredIds = _cluster.Records("scored").Select(r => r.GetProperty("key").GetString()!).ToHashSet();
            return promptIds.IsSubsetOf(scoredIds);
        }, TimeSpan.FromMinutes(4), "every prompt scored after the crashes",
            () => $"missing: {string.Join(',', promptIds.Except(scoredIds).Take(10))}\ngenerator:\n{generator.Tail(8)}\nscorer:\n{scorer.Tail(8)}");

        // A prompt generated twice (before and after the crash) carries the same record id, so consumers can drop it.
        foreach (var group in _cluster.Records("candidates").GroupBy(r => r.GetProperty("key").GetString()))
        {
            Assert.Single(group.Select(r => r.GetProperty("value").GetProperty("recordId").GetString()).Distinct());
        }

        // Downstream, the trainer trains each pair id exactly once, however often it was produced.
        var pairIds = _cluster.Records("pairs").Select(r => r.GetProperty("value").GetProperty("pairId").GetString()!).ToHashSet();
        var ledger = Path.Combine(_cluster.TrainerDirectory, "trained-ledger.jsonl");
        var trained = new List<string>();
        await Eventually.WaitAsync(() =>
        {
            trained = File.Exists(ledger) ? LedgerPairIds(ledger) : [];
            return pairIds.Count > 0 && trained.ToHashSet().SetEquals(pairIds);
        }, TimeSpan.FromMinutes(3), "the trainer training every distinct pair",
            () => $"{trained.Count} trained, {pairIds.Count} distinct produced\n{trainer.Tail(8)}");
        Assert.Equal(trained.Count, trained.Distinct().Count());
        Assert.Equal(0, trainer.Interrupt(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Pair ids of every step in the trainer's append-only ledger.</summary>
    private static List<string> LedgerPairIds(string ledger)
    {
        var ids = new List<string>();
        foreach (var line in File.ReadAllLines(ledger).Where(l => l.StartsWith('{')))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Array))
            {
                ids.AddRange(p.Value.EnumerateArray().Where(e => e.ValueKind == System.Text.Json.JsonValueKind.String).Select(e => e.GetString()!));
            }
        }
        return ids;
    }
}
