using System.Globalization;
using AlignStream.Contracts.Events;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Weights;
using AlignStream.Trainer.Tests.Support;
using Confluent.Kafka;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Trainer.Tests.Service;

/// <summary>The trainer stage in a real host over the librdkafka mock cluster, in-memory state store and bus.</summary>
public sealed class TrainerServiceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Store_retention_keeps_the_newest_versions_and_what_the_manifests_point_at()
    {
        await using var h = new TrainerHarness(
            "--Trainer:BatchSize=4", "--Trainer:PublishEvery=1", "--Trainer:MaxBatchWaitMs=0", "--Trainer:MaxStaleness=16", "--Weights:KeepVersions=1");
        await h.ProduceAsync(ToyModel.Pairs(h.BaseModel, 16, batchId: "retention"));
        await h.StartAsync();
        await h.WaitForStepsAsync(4, "training 16 pairs in batches of 4");
        await Eventually.WaitAsync(() => h.Events.Policies.Count >= 4, Wait, "versions 1 to 4 published", () => $"{h.Events.Policies.Count} events");
        // Each publication prunes after it: versions 1, 2 and 3 go (training moved the weights every step).
        await Eventually.WaitAsync(async () => (await h.ScrapeAsync()).Contains("align_trainer_weights_pruned_total 3", StringComparison.Ordinal),
            Wait, "three old versions pruned");
        await h.StopAsync();

        var policy = await h.State.GetManifestAsync(ManifestKind.Policy);
        var reference = await h.State.GetManifestAsync(ManifestKind.Reference);
        Assert.Equal(4, policy!.Version);
        Assert.Equal(policy.Uri, reference!.Uri);
        var stored = Directory.EnumerateDirectories(h.WeightStore, "sha256-*").Select(Path.GetFileName).ToList();
        Assert.Equal(["sha256-" + policy.Sha256], stored);
        var store = new WeightStoreDirectory(h.WeightStore, new ManifestSigner(TrainerHarness.SigningKey));
        Assert.True((await store.VerifyAsync(policy)).Ok);
        Assert.True((await store.VerifyAsync(reference)).Ok);
    }

    [Fact]
    public async Task Pairs_in_steps_out_versions_published_and_verifiable()
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=4", "--Trainer:PublishEvery=2", "--Trainer:CheckpointEvery=1", "--Trainer:MaxBatchWaitMs=0");
        var pairs = ToyModel.Pairs(h.BaseModel, 16, batchId: "batch-7");
        await h.ProduceAsync(pairs);
        await h.ProduceRawAsync([1, 2, 3, 4]);
        await h.ProduceAsync(pairs.Take(2)); // redelivered duplicates
        await h.StartAsync();

        await h.WaitForStepsAsync(4, "training 16 pairs in batches of 4");
        await h.WaitForEmptyBacklogAsync("consuming the garbage record and the duplicates");
        await Eventually.WaitAsync(() => h.Events.Policies.Count >= 2, Wait, "PolicyWeightsPublished for versions 1 and 2", () => $"{h.Events.Policies.Count} events");

        var manifest = await h.State.GetManifestAsync(ManifestKind.Policy);
        Assert.NotNull(manifest);
        Assert.Equal(2, manifest.Version);
        Assert.Equal(1, manifest.ParentVersion);
        Assert.Equal(4, manifest.Step);
        var store = new WeightStoreDirectory(h.WeightStore, new ManifestSigner(TrainerHarness.SigningKey));
        var verified = await store.VerifyAsync(manifest);
        Assert.True(verified.Ok, verified.Detail);
        Assert.Equal([1L, 2L], h.Events.Policies.Select(e => e.Version).Order());
        Assert.Equal(manifest.Sha256, h.Events.Policies.Single(e => e.Version == 2).Sha256);
        // The published weights differ from the base model (training moved them) and load as a model.
        var served = Engine.Model.LlamaModel.Load(verified.Directory!);
        Assert.NotEqual(h.BaseModel.Weights.Data, served.Weights.Data);

        // per-window with a window of one version: the reference follows every publication.
        var reference = await h.State.GetManifestAsync(ManifestKind.Reference);
        Assert.Equal(2, reference!.Version);
        Assert.Equal(manifest.Sha256, reference.Sha256);
        // Reissued from the policy's stored copy rather than hashed again; signed in its own right.
        Assert.True((await store.VerifyAsync(reference)).Ok);
        await Eventually.WaitAsync(() => h.Events.References.Count >= 2, Wait, "ReferenceUpdated events");

        // One feedback per step (all pairs share scorer batch "batch-7"); arm = index of "afinn" in Scorer:RewardModels.
        await Eventually.WaitAsync(() => h.Events.Feedback.Count >= 4, Wait, "BanditFeedback after each step");
        Assert.All(h.Events.Feedback, f =>
        {
            Assert.Equal("batch-7", f.BatchId);
            Assert.Equal(1, f.Arm);
            Assert.True(f.Reward < 0);
            Assert.Equal(1.0, Math.Sqrt(f.Context.Sum(v => (double)v * v)), 1e-5);
        });

        var metrics = await h.ScrapeAsync();
        Assert.Contains("align_trainer_steps_total 4", metrics, StringComparison.Ordinal);
        Assert.Contains("align_trainer_pairs_duplicate_total 2", metrics, StringComparison.Ordinal);
        Assert.Contains("align_trainer_versions_published_total 2", metrics, StringComparison.Ordinal);
        Assert.Contains("align_trainer_dpo_loss", metrics, StringComparison.Ordinal);
        Assert.Contains("align_kafka_dlq_records_total", metrics, StringComparison.Ordinal);

        await h.StopAsync();
        var ledger = h.LedgerPairIds();
        Assert.Equal(pairs.Select(p => p.PairId).Order(StringComparer.Ordinal), ledger.Order(StringComparer.Ordinal));
        Assert.Equal("decode", DeadLetterReasonKind(h));
    }

    [Fact]
    public async Task A_restart_resumes_at_the_checkpointed_offsets_and_keeps_dropping_duplicates()
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=4", "--Trainer:PublishEvery=100", "--Trainer:CheckpointEvery=100", "--Trainer:MaxBatchWaitMs=0");
        var first = ToyModel.Pairs(h.BaseModel, 8, "first");
        await h.ProduceAsync(first);
        await h.StartAsync();
        await h.WaitForStepsAsync(2, "first run: 8 pairs");
        await h.WaitForEmptyBacklogAsync("first run drained");
        await h.StopAsync();

        // The shutdown checkpoint holds the next offset of every partition: together, all 8 records.
        var latest = h.Checkpoints.OpenLatest();
        Assert.NotNull(latest);
        Assert.Equal(2, latest.State.Step);
        Assert.Equal(HighWatermarks(h), latest.State.Offsets.Values.Sum());
        Assert.Equal(8, latest.State.Offsets.Values.Sum());

        await h.StartAsync();
        Assert.Equal(2, h.Worker.Step);
        var second = ToyModel.Pairs(h.BaseModel, 8, "second");
        await h.ProduceAsync(second);
        await h.ProduceAsync(first.Take(3)); // already trained before the restart
        await h.WaitForStepsAsync(4, "second run: 8 new pairs");
        await h.WaitForEmptyBacklogAsync("second run drained");
        await h.StopAsync();

        var ledger = h.Checkpoints.ReadLedger();
        Assert.Equal([1L, 2L, 3L, 4L], ledger.Select(e => e.Step));
        Assert.Equal(first.Select(p => p.PairId).Order(StringComparer.Ordinal), ledger.Take(2).SelectMany(e => e.PairIds).Order(StringComparer.Ordinal));
        Assert.Equal(second.Select(p => p.PairId).Order(StringComparer.Ordinal), ledger.Skip(2).SelectMany(e => e.PairIds).Order(StringComparer.Ordinal));
        Assert.Equal(19, h.Checkpoints.OpenLatest()!.State.Offsets.Values.Sum());
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("importance-weight")]
    public async Task Stale_pairs_are_dropped_or_weighted_and_counted(string policy)
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=4", "--Trainer:MaxStaleness=2", $"--Trainer:StalePolicy={policy}",
            "--Trainer:MaxBatchWaitMs=300", "--Trainer:PublishEvery=100");
        // The store already serves version 10, so the trainer numbers from there.
        await h.State.SetManifestAsync(ManifestKind.Policy, new WeightsManifest(10, 9, 0, "weights:x", "00", 0, "", DateTimeOffset.UtcNow));
        var fresh = ToyModel.Pairs(h.BaseModel, 4, "fresh", behaviorVersion: 9);
        var stale = ToyModel.Pairs(h.BaseModel, 4, "stale", behaviorVersion: 3);
        await h.ProduceAsync(fresh.Zip(stale).SelectMany(x => new[] { x.First, x.Second }));
        await h.StartAsync();
        await h.WaitForStepsAsync(1, "first step");
        await h.WaitForEmptyBacklogAsync("all 8 pairs consumed");
        var metrics = await h.ScrapeAsync();
        await h.StopAsync();

        var trained = h.LedgerPairIds().Order(StringComparer.Ordinal).ToList();
        if (policy == "drop")
        {
            Assert.Equal(fresh.Select(p => p.PairId).Order(StringComparer.Ordinal), trained);
            Assert.Contains("align_trainer_pairs_dropped_stale_total 4", metrics, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(fresh.Concat(stale).Select(p => p.PairId).Order(StringComparer.Ordinal), trained);
            Assert.Contains("align_trainer_pairs_importance_weighted_total 4", metrics, StringComparison.Ordinal);
        }
        // Staleness 1 for the fresh pairs and 7 for the stale ones, all recorded.
        Assert.Contains("align_trainer_pair_staleness_count 8", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_whose_manifest_was_lost_in_a_crash_is_republished_identically()
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=4", "--Trainer:PublishEvery=1", "--Trainer:MaxBatchWaitMs=0");
        await h.ProduceAsync(ToyModel.Pairs(h.BaseModel, 8));
        await h.StartAsync();
        await h.WaitForStepsAsync(2, "two steps, two versions");
        await Eventually.WaitAsync(async () => (await h.State.GetManifestAsync(ManifestKind.Policy))?.Version == 2, Wait, "manifest of version 2");
        await h.StopAsync();
        var published = (await h.State.GetManifestAsync(ManifestKind.Policy))!;

        // The crash window: checkpoint of version 2 written, the pointer still at version 1.
        await h.State.SetManifestAsync(ManifestKind.Policy, published with { Version = 1, Sha256 = "stale" });
        await h.StartAsync();
        var again = (await h.State.GetManifestAsync(ManifestKind.Policy))!;
        Assert.Equal(2, again.Version);
        Assert.Equal(published.Sha256, again.Sha256);
        Assert.Equal(published.Step, again.Step);
        var store = new WeightStoreDirectory(h.WeightStore, new ManifestSigner(TrainerHarness.SigningKey));
        Assert.True((await store.VerifyAsync(again)).Ok);
        Assert.Equal(2, h.Worker.PolicyVersion);
    }

    [Fact]
    public async Task A_drain_command_trains_the_partial_batch_and_checkpoints()
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=8", "--Trainer:MaxBatchWaitMs=0", "--Trainer:PublishEvery=100", "--Trainer:CheckpointEvery=100");
        var pairs = ToyModel.Pairs(h.BaseModel, 3);
        await h.ProduceAsync(pairs);
        await h.StartAsync();
        await Eventually.WaitAsync(() => h.Worker.PendingCount == 3, Wait, "three pairs pending in a batch of eight", () => $"pending {h.Worker.PendingCount}");
        await h.App.Services.GetRequiredService<IBus>().Publish(new PipelineCommand(PipelineAction.Drain, "test"));
        await h.WaitForStepsAsync(1, "the drain step");
        await Eventually.WaitAsync(() => h.LedgerPairIds().Count == 3, Wait, "the drain checkpoint's ledger entries");
        Assert.Equal(pairs.Select(p => p.PairId).Order(StringComparer.Ordinal), h.LedgerPairIds().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Soft_sync_publishes_a_mixed_reference_every_few_steps()
    {
        await using var h = new TrainerHarness("--Trainer:BatchSize=4", "--Trainer:MaxBatchWaitMs=0", "--Trainer:PublishEvery=100",
            "--Trainer:ReferenceRefresh=soft-sync", "--Trainer:SoftSyncEvery=2", "--Trainer:SoftSyncAlpha=0.5");
        await h.ProduceAsync(ToyModel.Pairs(h.BaseModel, 16));
        await h.StartAsync();
        await h.WaitForStepsAsync(4, "four steps");
        await Eventually.WaitAsync(() => h.Events.References.Count >= 2, Wait, "two ReferenceUpdated events");
        var reference = (await h.State.GetManifestAsync(ManifestKind.Reference))!;
        Assert.Equal(2, reference.Version);
        Assert.Equal(4, reference.Step);
        Assert.Null(await h.State.GetManifestAsync(ManifestKind.Policy));
        var store = new WeightStoreDirectory(h.WeightStore, new ManifestSigner(TrainerHarness.SigningKey));
        var verified = await store.VerifyAsync(reference);
        Assert.True(verified.Ok, verified.Detail);
        // Two syncs with α = 0.5 leave the reference between the base model and the policy.
        var mixed = Engine.Model.LlamaModel.Load(verified.Directory!).Weights.Data;
        Assert.NotEqual(h.BaseModel.Weights.Data, mixed);
        await h.StopAsync();
        var latest = h.Checkpoints.OpenLatest()!;
        var policy = Engine.Model.LlamaModel.Load(AlignStream.Trainer.Checkpoints.CheckpointStore.PolicyDirectory(latest.Directory)).Weights.Data;
        Assert.NotEqual(policy, mixed);
    }

    private static long HighWatermarks(TrainerHarness h)
    {
        using var c = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = h.Cluster.BootstrapServers, GroupId = "probe" }).Build();
        return Enumerable.Range(0, 4).Sum(p => c.QueryWatermarkOffsets(new TopicPartition(h.PairsTopic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private static string DeadLetterReasonKind(TrainerHarness h)
    {
        using var c = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = h.Cluster.BootstrapServers, GroupId = "dlq-probe", EnableAutoCommit = false }).Build();
        c.Assign(new TopicPartitionOffset(h.DeadLetterTopic, 0, Offset.Beginning));
        var r = c.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException("phase: reading the dead-letter topic: no record within 30 s");
        var header = r.Message.Headers.GetLastBytes(Platform.Kafka.KafkaHeaderNames.ReasonKind);
        return System.Text.Encoding.UTF8.GetString(header).ToString(CultureInfo.InvariantCulture);
    }
}
