using AlignStream.Alignment.Rewards;
using AlignStream.Contracts.Events;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Weights;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Reference;
using AlignStream.Scorer.Tests.Support;
using MassTransit;

namespace AlignStream.Scorer.Tests.Integration;

/// <summary>
/// Integration: the scorer follows the reference pointer like a generator follows the policy. A new signed version
/// published to the weight store + state store + ReferenceUpdated on the in-memory bus is swapped in, and later
/// sets carry its version and its log-probs; a wrongly signed version is refused and the old one keeps serving.
/// The trainer's BanditFeedback, published on the bus, reaches the shared bandit statistics.
/// </summary>
public sealed class ReferenceHotSwapTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);
    private static readonly float[] Context = [3f, 4f];

    [Fact]
    public async Task A_published_reference_is_swapped_in_a_bad_one_refused_and_feedback_reaches_the_bandit()
    {
        await using var host = await ScorerHost.StartAsync(new RewardModelRegistry(), "--Scorer:RewardModels=afinn,toxicity", "--Scorer:BanditWarmup=0", "--Scorer:BanditNoPairReward=NaN");
        var c = host.Collector;
        var bus = host.Services.GetRequiredService<IBus>();

        var first = Sets.Make("r-1", "p-1", "sentiment", "How are you?", Context, "great and happy", "sad and bad");
        await host.Producer.ProduceAsync(host.Topics.Candidates, "p-1", first);
        await Eventually.WaitAsync(() => c.Scored.Any(s => s.RecordId == "r-1"), Phase, "first set scored under version 0", c.Describe);
        var scored1 = c.Scored.Single(s => s.RecordId == "r-1");
        Assert.Equal(0, scored1.ReferenceVersion);

        // The trainer's feedback for that batch: arm and context come from the pending pull, r = −0.7 (raw: history < 2).
        await bus.Publish(new BanditFeedback(scored1.BatchId, 0, [], -0.7));
        BanditSnapshot? snapshot = null;
        await Eventually.WaitAsync(async () => (snapshot = await host.State.GetBanditAsync(LaserKeys.Bandit("exp", "sentiment"))) is not null, Phase,
            "bandit feedback applied", () => "no statistics yet");
        var arm = scored1.BanditArm == "afinn" ? 0 : 1;
        var stats = snapshot!.Arms[arm];
        Assert.Equal(1, stats.Pulls);
        Assert.Equal([0.36, 0.48, 0.48, 0.64], stats.A.Select(v => Math.Round(v, 6)));
        Assert.Equal([-0.42, -0.56], stats.B.Select(v => Math.Round(v, 6)));

        // Version 1: other random weights, published the way the trainer does (store, pointer, event).
        var v1Dir = host.Temp.Sub("v1");
        var model1 = TinyModel.Save(v1Dir, seed: 99);
        var store = host.Services.GetRequiredService<WeightStoreDirectory>();
        var manifest = await store.PublishAsync(v1Dir, version: 1, parentVersion: 0, step: 10);
        await host.State.SetManifestAsync(ManifestKind.Reference, manifest);
        await bus.Publish(new ReferenceUpdated(1, manifest.Uri, manifest.Sha256, manifest.Signature));
        var reference = host.Services.GetRequiredService<ReferenceModel>();
        await Eventually.WaitAsync(() => reference.ServingVersion == 1, Phase, "reference version 1 swapped in", () => $"serving {reference.ServingVersion}");

        var second = Sets.Make("r-2", "p-2", "sentiment", "How are you?", Context, "great and happy", "sad and bad");
        await host.Producer.ProduceAsync(host.Topics.Candidates, "p-2", second);
        await Eventually.WaitAsync(() => c.Scored.Any(s => s.RecordId == "r-2"), Phase, "second set scored under version 1", c.Describe);
        var scored2 = c.Scored.Single(s => s.RecordId == "r-2");
        Assert.Equal(1, scored2.ReferenceVersion);
        for (var i = 0; i < second.Candidates.Count; i++)
        {
            var (expected, _) = ReferenceMath.Compute(model1, [.. second.PromptTokens], [.. second.Candidates[i].Tokens]);
            var (old, _) = ReferenceMath.Compute(host.Model, [.. second.PromptTokens], [.. second.Candidates[i].Tokens]);
            Assert.Equal(expected.Sum(), scored2.Scores[i].ReferenceLogprobSum, 1e-3);
            Assert.NotEqual(old.Sum(), scored2.Scores[i].ReferenceLogprobSum, 1e-2);
        }
        // After afinn's poor reward the bandit explores toxicity, which ties on these clean texts: no pair, counted.
        Assert.Equal("afinn", scored1.BanditArm);
        Assert.Equal("toxicity", scored2.BanditArm);
        await Eventually.WaitAsync(async () => (await host.ScrapeAsync()).Contains("align_scorer_sets_skipped_total{reason=\"no-pair\"} 1", StringComparison.Ordinal),
            Phase, "the tied set is counted as skipped", () => c.Describe());

        // Version 2 signed with another key: refused and counted; version 1 keeps serving.
        var v2Dir = host.Temp.Sub("v2");
        TinyModel.Save(v2Dir, seed: 7);
        var forged = await new WeightStoreDirectory(store.Root, new ManifestSigner("some-other-key-0123456789")).PublishAsync(v2Dir, 2, 1, 20);
        await host.State.SetManifestAsync(ManifestKind.Reference, forged);
        var watcher = host.Services.GetRequiredService<ReferenceWatcher>();
        Assert.Equal(1, await watcher.CheckOnceAsync(CancellationToken.None));
        Assert.Equal(1, reference.ServingVersion);
        var metrics = await host.ScrapeAsync();
        Assert.Contains("align_weights_refusals_total{kind=\"reference\",reason=\"bad-signature\"} 1", metrics);
        Assert.Contains("align_scorer_reference_version 1", metrics);
        Assert.Contains("align_scorer_bandit_feedback_total{outcome=\"applied\"} 1", metrics);
    }
}
