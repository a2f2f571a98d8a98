using AlignStream.Alignment.Rewards;
using AlignStream.Contracts.Events;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Tests.Support;
using MassTransit;

namespace AlignStream.Scorer.Tests.Integration;

/// <summary>
/// Integration: two scorer hosts in one consumer group over one Kafka cluster and ONE state store (as replicas
/// share Redis). Together they score every set once; a batch's feedback arriving on the other replica's bus is
/// applied with the pending pull the first replica stored; afterwards both replicas' routers see the same statistics.
/// </summary>
public sealed class ScorerReplicasTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_replicas_share_the_work_and_the_bandit()
    {
        var shared = new InMemoryStateStore("replicas");
        await using var first = await ScorerHost.StartAsync(new RewardModelRegistry(), shared, "--Scorer:RewardModels=afinn,toxicity", "--Scorer:BanditWarmup=0", "--Scorer:BanditNoPairReward=NaN");
        var bootstrap = first.Services.GetRequiredService<KafkaConnection>().BootstrapServers;
        await using var second = await ScorerHost.StartAsync(new RewardModelRegistry(), shared, "--Scorer:RewardModels=afinn,toxicity", "--Scorer:BanditWarmup=0", "--Scorer:BanditNoPairReward=NaN",
            "--Kafka:UseEmbeddedCluster=false", $"--Kafka:BootstrapServers={bootstrap}");

        var ids = Enumerable.Range(0, 12).Select(i => $"r-{i:D2}").ToArray();
        foreach (var id in ids)
        {
            var set = Sets.Make(id, "p" + id, "sentiment", "How are you?", [1f, 1f], "great and happy", "sad and bad");
            await first.Producer.ProduceAsync(first.Topics.Candidates, set.Prompt.PromptId, set);
        }
        var c = first.Collector;
        await Eventually.WaitAsync(() => ids.All(id => c.Scored.Any(s => s.RecordId == id)), Phase, "every set scored by one of the replicas", c.Describe);
        Assert.Equal(ids, c.Scored.Select(s => s.RecordId).Distinct().Order());
        Assert.Equal(c.Pairs.Count, c.Pairs.Select(p => p.PairId).Distinct().Count());

        // Feedback for a batch, delivered to the second replica's bus whoever chose its arm.
        var batch = c.Scored.First();
        await second.Services.GetRequiredService<IBus>().Publish(new BanditFeedback(batch.BatchId, 0, [], -0.4));
        await Eventually.WaitAsync(async () => await shared.GetBanditAsync(LaserKeys.Bandit("exp", "sentiment")) is not null, Phase, "feedback applied", () => "no statistics");
        var stats = (await shared.GetBanditAsync(LaserKeys.Bandit("exp", "sentiment")))!;
        var arm = batch.BanditArm == "afinn" ? 0 : 1;
        Assert.Equal(1, stats.Arms[arm].Pulls);
        var x = 1 / Math.Sqrt(2);
        Assert.Equal([-0.4 * x, -0.4 * x], stats.Arms[arm].B.Select(v => Math.Round(v, 9)), new RoundedComparer());

        // Both replicas' routers now score the same context identically, from the shared statistics.
        var a = await first.Services.GetRequiredService<LaserRouter>().ChooseAsync("exp", "sentiment", "probe-a", [1f, 1f], CancellationToken.None);
        var b = await second.Services.GetRequiredService<LaserRouter>().ChooseAsync("exp", "sentiment", "probe-b", [1f, 1f], CancellationToken.None);
        Assert.Equal(a.Ucb, b.Ucb);
        Assert.Equal(a.Arm, b.Arm);
        Assert.NotEqual(arm, a.Arm); // the penalised arm is no longer preferred
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-6;

        public int GetHashCode(double obj) => 0;
    }
}
