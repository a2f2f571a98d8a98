using System.Reflection;
using AlignStream.Contracts.Events;
using AlignStream.Platform.State;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Metrics;
using AlignStream.Scorer.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AlignStream.Scorer.Tests.Laser;

/// <summary>
/// Unit: two scorer replicas (each its own router and feedback applier) over ONE state store play the LASeR worked
/// example of ALGORITHMS.md §3.5 (Appendix A6) with delayed feedback: one replica selects, the other applies the
/// feedback, and each sees the statistics the other wrote.
/// </summary>
public sealed class SharedBanditTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly InMemoryStateStore _store = new("t");

    [Fact]
    public async Task Two_replicas_reproduce_the_worked_example_through_the_shared_store()
    {
        var (routerA, applierA) = Replica();
        var (routerB, applierB) = Replica();

        // Step 1: both arms tie at 0.1, arm 0 wins; loss 0.7 arrives at the OTHER replica; history < 2 → raw −0.7.
        var c1 = await routerA.ChooseAsync("", "b1", [1f, 0f], CancellationToken.None);
        Assert.Equal(0, c1.Arm);
        Assert.Equal([0.1, 0.1], c1.Ucb, new Tolerance(1e-6));
        Assert.Equal(FeedbackOutcome.Applied, await applierB.ApplyAsync(new BanditFeedback("b1", 0, [], -0.7), CancellationToken.None));
        var s1 = await _store.GetBanditAsync(LaserKeys.Bandit(null));
        Assert.Equal([1, 0, 0, 0], s1!.Arms[0].A, new Tolerance(1e-12));
        Assert.Equal([-0.7, 0], s1.Arms[0].B, new Tolerance(1e-12));

        // Step 2: replica B sees A's update: arm 0 UCB −0.279289 < arm 1's 0.1; loss 0.5 → r̃ = 1 (above P80).
        var c2 = await routerB.ChooseAsync("", "b2", [1f, 0f], CancellationToken.None);
        Assert.Equal(1, c2.Arm);
        Assert.Equal([-0.279289, 0.1], c2.Ucb, new Tolerance(1e-6));
        Assert.Equal(FeedbackOutcome.Applied, await applierA.ApplyAsync(new BanditFeedback("b2", 1, [], -0.5), CancellationToken.None));

        // Step 3: replica A on [0.6, 0.8]: UCBs −0.119446 and 0.390554 → arm 1; loss 0.6 → r̃ = 0.5.
        var c3 = await routerA.ChooseAsync("", "b3", [0.6f, 0.8f], CancellationToken.None);
        Assert.Equal(1, c3.Arm);
        Assert.Equal([-0.119446, 0.390554], c3.Ucb, new Tolerance(1e-6));
        Assert.Equal(FeedbackOutcome.Applied, await applierB.ApplyAsync(new BanditFeedback("b3", 1, [], -0.6), CancellationToken.None));

        var s3 = await _store.GetBanditAsync(LaserKeys.Bandit(null));
        // The store keeps sums without the identity prior: A_1 = I + these = [[2.36, 0.48], [0.48, 1.64]].
        Assert.Equal([1.36, 0.48, 0.48, 0.64], s3!.Arms[1].A, new Tolerance(1e-6));
        Assert.Equal([1.3, 0.4], s3.Arms[1].B, new Tolerance(1e-6));
        Assert.Equal(2, s3.Arms[1].Pulls);
        Assert.Equal(1, s3.Arms[0].Pulls);

        // The same feedback again (a redelivered event, at either replica) is not applied twice.
        Assert.Equal(FeedbackOutcome.Duplicate, await applierA.ApplyAsync(new BanditFeedback("b3", 1, [0.6f, 0.8f], -0.6), CancellationToken.None));
        Assert.Equal(2, (await _store.GetBanditAsync(LaserKeys.Bandit(null)))!.Arms[1].Pulls);
        Assert.Null(await _store.GetValueAsync(LaserKeys.Pending("b3")));
    }

    [Fact]
    public async Task Feedback_without_a_pending_pull_uses_the_events_arm_and_context_or_is_rejected()
    {
        var (_, applier) = Replica();

        // The pending entry expired: the event's own arm and (normalised) context are used.
        Assert.Equal(FeedbackOutcome.AppliedFromEvent, await applier.ApplyAsync(new BanditFeedback("gone", 1, [3f, 4f], -0.2), CancellationToken.None));
        var s = await _store.GetBanditAsync(LaserKeys.Bandit(null));
        Assert.Equal([0.36, 0.48, 0.48, 0.64], s!.Arms[1].A, new Tolerance(1e-6));
        Assert.Equal([-0.2 * 0.6, -0.2 * 0.8], s.Arms[1].B, new Tolerance(1e-6));

        Assert.Equal(FeedbackOutcome.Rejected, await applier.ApplyAsync(new BanditFeedback("none", 0, [], -0.2), CancellationToken.None));
        Assert.Equal(FeedbackOutcome.Rejected, await applier.ApplyAsync(new BanditFeedback("far", 7, [1f, 0f], -0.2), CancellationToken.None));
        Assert.Equal(FeedbackOutcome.Rejected, await applier.ApplyAsync(new BanditFeedback("nan", 0, [1f, 0f], double.NaN), CancellationToken.None));
    }

    [Fact]
    public async Task A_context_of_another_width_than_the_bandit_is_a_permanent_record_error()
    {
        var (router, applier) = Replica();
        await router.ChooseAsync("exp", "w1", [1f, 0f], CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("w1", 0, [], -0.1), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AlignStream.Platform.Kafka.PermanentRecordException>(
            () => router.ChooseAsync("exp", "w2", [1f, 0f, 0f], CancellationToken.None));
        Assert.Contains("width 3", error.Message);
        Assert.Contains("width 2", error.Message);
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Each_task_has_its_own_bandit_and_the_first_losses_are_neutral_while_the_history_fills()
    {
        var (router, applier) = Replica(warmup: 2);
        var arith = await router.ChooseAsync("exp", "arith", "t1", [1f, 0f], CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("t1", arith.Arm, [], -3.0), CancellationToken.None);
        var sentiment = await router.ChooseAsync("exp", "sentiment", "t2", [1f, 0f], CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("t2", sentiment.Arm, [], -0.1), CancellationToken.None);

        Assert.Null(await _store.GetBanditAsync(LaserKeys.Bandit("exp")));
        var a = (await _store.GetBanditAsync(LaserKeys.Bandit("exp", "arith")))!;
        var s = (await _store.GetBanditAsync(LaserKeys.Bandit("exp", "sentiment")))!;
        Assert.Equal(1, a.Arms[arith.Arm].Pulls);
        Assert.Equal(1, s.Arms[sentiment.Arm].Pulls);
        // Warm-up: a neutral 0.5 instead of the raw −3.0 that would bury the arm tried first.
        Assert.Equal([0.5, 0], a.Arms[arith.Arm].B, new Tolerance(1e-12));

        // Third loss of the arith history (warm-up 2 is over): normalised against that task's losses only.
        await router.ChooseAsync("exp", "arith", "t3", [1f, 0f], CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("t3", 0, [], -3.0), CancellationToken.None);
        var t4 = await router.ChooseAsync("exp", "arith", "t4", [1f, 0f], CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("t4", t4.Arm, [], -1.0), CancellationToken.None);
        var after = (await _store.GetBanditAsync(LaserKeys.Bandit("exp", "arith")))!;
        // Arm 0 won all three (tie → first arm, then θ·x = 0.25 and 0.33 against arm 1's bonus 0.1). Its rewards:
        // 0.5, 0.5 (warm-up), then −1.0 above P80 of {−3, −3, −1} → 1.
        Assert.Equal([0, 0], new[] { arith.Arm, t4.Arm });
        Assert.Equal(3, after.Arms[0].Pulls);
        Assert.Equal([2.0, 0], after.Arms[0].B, new Tolerance(1e-9));
    }

    [Fact]
    public async Task A_router_that_follows_many_feedbacks_scores_like_one_built_fresh_from_the_store()
    {
        // The router folds new observations into its inverses in place (Sherman–Morrison) as they arrive, several at a
        // time and from another replica too; past FullInversionEvery pulls of an arm it inverts that arm again. It must
        // score as a router that inverts everything it reads from the store.
        var (router, applier) = Replica();
        var (other, otherApplier) = Replica();
        var rng = new Random(9);
        float[] Context() => Enumerable.Range(0, 6).Select(_ => (float)(rng.NextDouble() - 0.3)).ToArray();
        var batch = 0;
        for (var round = 0; round < LaserRouter.FullInversionEvery + 20; round++)
        {
            var pulls = 1 + (round % 3);
            for (var p = 0; p < pulls; p++)
            {
                var id = $"r{batch++}";
                var choice = await (p == 2 ? other : router).ChooseAsync("", id, Context(), CancellationToken.None);
                await (p == 1 ? otherApplier : applier).ApplyAsync(new BanditFeedback(id, choice.Arm, [], -rng.NextDouble()), CancellationToken.None);
            }
            var probe = Context();
            var followed = await router.ChooseAsync("", $"probe{round}", probe, CancellationToken.None);
            var (fresh, _) = Replica();
            var rebuilt = await fresh.ChooseAsync("", $"fresh{round}", probe, CancellationToken.None);
            Assert.Equal(rebuilt.Arm, followed.Arm);
            Assert.Equal(rebuilt.Ucb, followed.Ucb, new Tolerance(1e-9));
        }
        var state = (await _store.GetBanditAsync(LaserKeys.Bandit(null)))!;
        Assert.True(state.Arms.Values.Sum(a => a.Pulls) > LaserRouter.FullInversionEvery);
    }

    [Fact]
    public async Task A_router_reads_only_the_observations_it_has_not_folded_and_compacts_the_log()
    {
        var counting = DispatchProxy.Create<IStateStore, CountingStore>();
        var store = (CountingStore)(object)counting;
        store.Inner = _store;
        var options = Microsoft.Extensions.Options.Options.Create(new ScorerOptions { RewardModels = "afinn,arith", BanditAlpha = 0.1, BanditCompactEvery = 4 });
        var router = new LaserRouter(counting, options);
        var (_, applier) = Replica();
        int Calls(string name) => store.Calls.GetValueOrDefault(name);
        long From() => (long)store.LastArgs[nameof(IStateStore.ReadBanditAsync)][1]!;
        var key = LaserKeys.Bandit(null);

        // No observations yet: every choice asks from the start.
        var f1 = await router.ChooseAsync("", "f1", [1f, 0f], CancellationToken.None);
        await router.ChooseAsync("", "f2", [0f, 1f], CancellationToken.None);
        Assert.Equal(0, From());

        // One feedback: read once from 0, then from 1 with nothing new.
        await applier.ApplyAsync(new BanditFeedback("f1", f1.Arm, [], -0.4), CancellationToken.None);
        await router.ChooseAsync("", "f3", [0.6f, 0.8f], CancellationToken.None);
        Assert.Equal(0, From());
        await router.ChooseAsync("", "f4", [1f, 0f], CancellationToken.None);
        Assert.Equal(1, From());
        Assert.Equal(4, Calls(nameof(IStateStore.ReadBanditAsync)));
        Assert.Equal(0, Calls(nameof(IStateStore.GetBanditAsync)));
        Assert.Equal(0, Calls(nameof(IStateStore.CompactBanditAsync)));

        // Three more: the router reads them from 1, reaches Scorer:BanditCompactEvery and folds the log into the snapshot.
        await applier.ApplyAsync(new BanditFeedback("f2", 0, [], -0.2), CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("f3", 1, [], -0.3), CancellationToken.None);
        await applier.ApplyAsync(new BanditFeedback("f4", 1, [], -0.1), CancellationToken.None);
        var before = (await _store.GetBanditAsync(key))!;
        var probe = await router.ChooseAsync("", "g1", [0.8f, 0.6f], CancellationToken.None);
        Assert.Equal(1, From());
        Assert.Equal(1, Calls(nameof(IStateStore.CompactBanditAsync)));
        var log = (await _store.ReadBanditAsync(key, 0))!;
        Assert.Equal((4L, 4L), (log.Base, log.Next));
        Assert.Empty(log.Entries);
        var after = (await _store.GetBanditAsync(key))!;
        foreach (var (arm, stats) in before.Arms)
        {
            Assert.Equal(stats.A, after.Arms[arm].A);
            Assert.Equal(stats.B, after.Arms[arm].B);
            Assert.Equal(stats.Pulls, after.Arms[arm].Pulls);
        }

        // A router that starts now builds from the snapshot and scores exactly as the one that folded every observation.
        var (fresh, _) = Replica();
        var rebuilt = await fresh.ChooseAsync("", "g2", [0.8f, 0.6f], CancellationToken.None);
        Assert.Equal(probe.Arm, rebuilt.Arm);
        Assert.Equal(probe.Ucb, rebuilt.Ucb, new Tolerance(1e-12));
        await router.ChooseAsync("", "g3", [1f, 0f], CancellationToken.None);
        Assert.Equal(4, From());
        Assert.Equal(1, Calls(nameof(IStateStore.CompactBanditAsync)));
    }

    /// <summary>Counts calls by method name and forwards them to the real store.</summary>
    public class CountingStore : DispatchProxy
    {
        public IStateStore Inner { get; set; } = null!;

        public Dictionary<string, int> Calls { get; } = [];

        public Dictionary<string, object?[]> LastArgs { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            Calls[targetMethod.Name] = Calls.GetValueOrDefault(targetMethod.Name) + 1;
            LastArgs[targetMethod.Name] = args ?? [];
            return targetMethod.Invoke(Inner, args);
        }
    }

    private (LaserRouter Router, BanditFeedbackApplier Applier) Replica(int warmup = 0)
    {
        // Warm-up 0: the worked example follows LASeR's code (raw −loss while the history is short).
        var options = Microsoft.Extensions.Options.Options.Create(new ScorerOptions { RewardModels = "afinn,arith", BanditAlpha = 0.1, BanditWarmup = warmup });
        var instruments = new ScorerInstruments(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        return (new LaserRouter(_store, options), new BanditFeedbackApplier(_store, options, instruments, NullLogger<BanditFeedbackApplier>.Instance));
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
