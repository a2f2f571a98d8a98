using AlignStream.Platform.State;

namespace AlignStream.Platform.Tests.State;

/// <summary>
/// The behaviour every <see cref="IStateStore"/> must have; each implementation runs all of these through a
/// subclass. Expected values are computed independently in the test (hand-derived or by plain summation).
/// </summary>
public abstract class StateStoreContractTests : IDisposable
{
    /// <summary>A namespace of this test's own, so tests never see each other's keys.</summary>
    protected string Namespace { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A time to live long enough that a check right after the write is never racing it.</summary>
    protected abstract TimeSpan ShortTtl { get; }

    /// <summary><paramref name="count"/> clients on the same shared state (separate connections where the store has them).</summary>
    protected abstract IStateStore[] CreateClients(int count);

    /// <summary>Lets <paramref name="ttl"/> pass, then waits (bounded) until <paramref name="expired"/> holds.</summary>
    protected abstract Task PassAndWaitAsync(TimeSpan ttl, Func<Task<bool>> expired, string phase);

    private IStateStore Store => _store ??= CreateClients(1)[0];

    private IStateStore? _store;

    private static WeightsManifest Manifest(long version) => new(
        version, version - 1, version * 10, $"file:weights/v{version}.safetensors", new string('a', 64), 123_456 + version, "c2ln",
        new DateTimeOffset(2026, 11, 22, 3, 0, 0, 123, TimeSpan.Zero));

    [Fact]
    public async Task Manifests_are_absent_then_round_trip_per_kind()
    {
        Assert.Null(await Store.GetManifestAsync(ManifestKind.Policy));
        await Store.SetManifestAsync(ManifestKind.Policy, Manifest(3));
        await Store.SetManifestAsync(ManifestKind.Reference, Manifest(1) with { ParentVersion = null });

        Assert.Equal(Manifest(3), await Store.GetManifestAsync(ManifestKind.Policy));
        Assert.Equal(Manifest(1) with { ParentVersion = null }, await Store.GetManifestAsync(ManifestKind.Reference));

        await Store.SetManifestAsync(ManifestKind.Policy, Manifest(4));
        Assert.Equal(4, (await Store.GetManifestAsync(ManifestKind.Policy))!.Version);
    }

    private static BanditObservation Obs(int arm, double[] x, double reward, double raw = -1) => new(arm, x, raw, reward);

    [Fact]
    public async Task Bandit_log_folds_to_hand_computed_statistics()
    {
        Assert.Null(await Store.GetBanditAsync("laser"));
        Assert.Null(await Store.ReadBanditAsync("laser", 0));
        // Arm 0: x=(1,2), r̃=0.5 then x=(3,-1), r̃=1. A = Σ x xᵀ, b = Σ r̃ x. Arm 2: x=(0.25,0), r̃=-2.
        Assert.Equal(0, await Store.AppendBanditAsync("laser", Obs(0, [1, 2], 0.5, raw: -0.7)));
        Assert.Equal(1, await Store.AppendBanditAsync("laser", Obs(0, [3, -1], 1)));
        Assert.Equal(2, await Store.AppendBanditAsync("laser", Obs(2, [0.25, 0], -2)));

        var snap = await Store.GetBanditAsync("laser");
        Assert.NotNull(snap);
        Assert.Equal(2, snap.Dimension);
        Assert.Equal([0, 2], snap.Arms.Keys.Order());
        Assert.Equal([10.0, -1, -1, 5], snap.Arms[0].A);
        Assert.Equal([3.5, 0], snap.Arms[0].B);
        Assert.Equal(2, snap.Arms[0].Pulls);
        Assert.Equal([0.0625, 0, 0, 0], snap.Arms[2].A);
        Assert.Equal([-0.5, 0], snap.Arms[2].B);
        Assert.Equal(1, snap.Arms[2].Pulls);

        // A reader that has folded the first observation gets the other two, in order, and nothing to rebuild from.
        var rest = await Store.ReadBanditAsync("laser", 1);
        Assert.NotNull(rest);
        Assert.Equal((2, 0L, 1L, 3L), (rest.Dimension, rest.Base, rest.Start, rest.Next));
        Assert.False(rest.Rebuild);
        Assert.Equal([(0, 3.0, -1.0, 1.0, -1.0), (2, 0.25, 0.0, -2.0, -1.0)], rest.Entries.Select(e => (e.Arm, e.Context[0], e.Context[1], e.Reward, e.RawReward)));
        Assert.Equal(-0.7, (await Store.ReadBanditAsync("laser", 0))!.Entries[0].RawReward);
        var caughtUp = await Store.ReadBanditAsync("laser", 3);
        Assert.Empty(caughtUp!.Entries);
        Assert.Equal(3, caughtUp.Next);
        Assert.Null(await Store.ReadBanditAsync("other", 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ReadBanditAsync("laser", -1));
    }

    [Fact]
    public async Task Bandit_log_entries_travel_bit_exact()
    {
        double[] x = [1.0 / 3, Math.PI, -0.0, 1e-300, -7.25e12, double.Epsilon, 0.1, -1.0 / 7, 2.5, 1e300, -3, 4.0 / 9];
        var sent = new BanditObservation(11, x, -Math.E, 0.1 + 0.2);
        await Store.AppendBanditAsync("exact", sent);
        var got = Assert.Single((await Store.ReadBanditAsync("exact", 0))!.Entries);
        Assert.Equal(sent.Arm, got.Arm);
        Assert.Equal(BitConverter.DoubleToInt64Bits(sent.RawReward), BitConverter.DoubleToInt64Bits(got.RawReward));
        Assert.Equal(BitConverter.DoubleToInt64Bits(sent.Reward), BitConverter.DoubleToInt64Bits(got.Reward));
        Assert.Equal(x.Select(BitConverter.DoubleToInt64Bits), got.Context.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public async Task Bandit_reads_are_copies()
    {
        var x = new double[] { 1 };
        await Store.AppendBanditAsync("copy", Obs(1, x, 2));
        x[0] = 5;
        var first = await Store.GetBanditAsync("copy");
        first!.Arms[1].A[0] = 99;
        (await Store.ReadBanditAsync("copy", 0))!.Entries[0].Context[0] = 42;
        var second = await Store.GetBanditAsync("copy");
        Assert.Equal([1.0], second!.Arms[1].A);
        Assert.Equal([2.0], second.Arms[1].B);
        var context = (await Store.ReadBanditAsync("copy", 0))!.Entries[0].Context;
        Assert.Equal([1.0], context);
    }

    [Fact]
    public async Task Bandit_observation_of_another_dimension_or_not_finite_is_refused()
    {
        await Store.AppendBanditAsync("dims", Obs(0, [1, 1], 1));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.AppendBanditAsync("dims", Obs(0, [1, 0, 0], 1)));
        Assert.Contains("dimension", ex.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendBanditAsync("dims", Obs(-1, [1, 1], 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendBanditAsync("dims", Obs(0, [], 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendBanditAsync("dims", Obs(0, [1, double.NaN], 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendBanditAsync("dims", Obs(0, [1, 1], double.PositiveInfinity)));
        // Nothing of the refused observations reached the log.
        Assert.Equal(1, (await Store.ReadBanditAsync("dims", 0))!.Next);
    }

    [Fact]
    public async Task Compaction_folds_a_prefix_into_the_snapshot_and_readers_continue_or_rebuild()
    {
        var rng = new Random(7);
        BanditObservation Next(int i) => Obs(i % 3, [rng.NextDouble() - 0.5, rng.NextDouble(), 1.0 / (i + 3)], rng.NextDouble());
        for (var i = 0; i < 5; i++)
        {
            await Store.AppendBanditAsync("c", Next(i));
        }
        var before = (await Store.ReadBanditAsync("c", 0))!;
        var whole = before.Fold();
        var prefix = (before with { Entries = before.Entries.Take(3).ToArray() }).Fold();

        // Sums that do not stand for exactly the first upTo observations, or of another width, are refused outright.
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CompactBanditAsync("c", 2, prefix));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.CompactBanditAsync("c", 0, new BanditSnapshot(3, new Dictionary<int, BanditArmStatistics>())));
        var narrow = new BanditSnapshot(2, new Dictionary<int, BanditArmStatistics> { [0] = new([1, 0, 0, 1], [1, 1], 3) });
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.CompactBanditAsync("c", 3, narrow));
        Assert.False(await Store.CompactBanditAsync("none", 3, prefix));

        Assert.True(await Store.CompactBanditAsync("c", 3, prefix));
        // Another reader's compaction to the same point, or to one past the log's end, changes nothing.
        Assert.False(await Store.CompactBanditAsync("c", 3, prefix));
        var beyond = (before with { Entries = [.. before.Entries, .. before.Entries.Take(1)] }).Fold();
        Assert.False(await Store.CompactBanditAsync("c", 6, beyond));

        // The fold is unchanged, bit for bit; a new reader gets the snapshot and the two observations after it.
        var after = (await Store.GetBanditAsync("c"))!;
        AssertSameSums(whole, after);
        var fresh = (await Store.ReadBanditAsync("c", 0))!;
        Assert.True(fresh.Rebuild);
        Assert.Equal((3L, 3L, 5L), (fresh.Base, fresh.Start, fresh.Next));
        AssertSameSums(prefix, fresh.Snapshot!);
        // A reader already past the base just continues.
        var current = (await Store.ReadBanditAsync("c", 4))!;
        Assert.False(current.Rebuild);
        Assert.Equal(before.Entries[4].Context, Assert.Single(current.Entries).Context);

        // Positions keep counting after a compaction; a position beyond the log (a reset elsewhere) gets the snapshot again.
        Assert.Equal(5, await Store.AppendBanditAsync("c", Next(5)));
        var lost = (await Store.ReadBanditAsync("c", 9))!;
        Assert.True(lost.Rebuild);
        Assert.Equal((3L, 6L), (lost.Start, lost.Next));

        // Compacting all of it leaves an empty log after the snapshot.
        var all = (await Store.GetBanditAsync("c"))!;
        Assert.True(await Store.CompactBanditAsync("c", 6, all));
        var empty = (await Store.ReadBanditAsync("c", 6))!;
        Assert.Equal((6L, 6L, 6L), (empty.Base, empty.Start, empty.Next));
        Assert.Empty(empty.Entries);
        AssertSameSums(all, (await Store.GetBanditAsync("c"))!);
        Assert.Equal(6, await Store.AppendBanditAsync("c", Next(6)));
    }

    private static void AssertSameSums(BanditSnapshot expected, BanditSnapshot actual)
    {
        Assert.Equal(expected.Dimension, actual.Dimension);
        Assert.Equal(expected.Arms.Keys.Order(), actual.Arms.Keys.Order());
        foreach (var (arm, e) in expected.Arms)
        {
            Assert.Equal(e.Pulls, actual.Arms[arm].Pulls);
            Assert.Equal(e.A.Select(BitConverter.DoubleToInt64Bits), actual.Arms[arm].A.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(e.B.Select(BitConverter.DoubleToInt64Bits), actual.Arms[arm].B.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public async Task Concurrent_appends_from_several_clients_lose_nothing_and_get_distinct_positions()
    {
        const int clients = 4;
        const int appendsPerClient = 60;
        const int arms = 3;
        var stores = CreateClients(clients);

        // Integer-valued contexts and rewards: every order of additions gives the exact same doubles. The raw reward names the writer.
        static BanditObservation For(int client, int k)
        {
            var n = (client * 1000) + k;
            return new BanditObservation(n % arms, [(n % 7) - 3, (n % 5) - 2, n % 3], n, (n % 4) - 1);
        }

        var positions = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            // Several appends in flight per client as well as across clients.
            await Task.WhenAll(Enumerable.Range(0, appendsPerClient).Select(k => stores[c].AppendBanditAsync("shared", For(c, k)))))));

        Assert.Equal(Enumerable.Range(0, clients * appendsPerClient).Select(i => (long)i), positions.SelectMany(p => p).Order());
        var log = (await stores[0].ReadBanditAsync("shared", 0))!;
        var expected = Enumerable.Range(0, clients).SelectMany(c => Enumerable.Range(0, appendsPerClient).Select(k => For(c, k))).ToArray();
        Assert.Equal(expected.Select(o => o.RawReward).Order(), log.Entries.Select(e => e.RawReward).Order());
        var snap = log.Fold();
        for (var arm = 0; arm < arms; arm++)
        {
            var mine = expected.Where(o => o.Arm == arm).ToArray();
            Assert.Equal(mine.Length, snap.Arms[arm].Pulls);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(mine.Sum(o => o.Reward * o.Context[i]), snap.Arms[arm].B[i]);
                for (var j = 0; j < 3; j++)
                {
                    Assert.Equal(mine.Sum(o => o.Context[i] * o.Context[j]), snap.Arms[arm].A[(i * 3) + j]);
                }
            }
        }
    }

    [Fact]
    public async Task Readers_stay_consistent_while_others_append_and_compact()
    {
        var stores = CreateClients(4);
        // Every observation has x = (1, 1) and r̃ = 1, so consistent sums have A = n in each cell and b = n for n pulls.
        var writers = Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
        {
            for (var k = 0; k < 80; k++)
            {
                await stores[c].AppendBanditAsync("torn", Obs(k % 2, [1, 1], 1));
            }
        })).ToArray();
        var compactor = Task.Run(async () =>
        {
            while (!writers.All(w => w.IsCompleted))
            {
                var log = await stores[2].ReadBanditAsync("torn", 0);
                if (log is { Next: > 0 })
                {
                    await stores[2].CompactBanditAsync("torn", log.Next, log.Fold());
                }
            }
        });
        // An incremental reader, as a scorer is: it keeps its own fold and asks from where it stopped.
        BanditSnapshot? mine = null;
        long next = 0;
        var reads = 0;
        while (!writers.All(w => w.IsCompleted) || reads == 0)
        {
            var log = await stores[3].ReadBanditAsync("torn", next);
            if (log is not null)
            {
                var sums = log.Rebuild || mine is null ? log.Snapshot : mine;
                mine = new BanditLog(log.Dimension, log.Base, log.Start, sums ?? new BanditSnapshot(2, new Dictionary<int, BanditArmStatistics>()), log.Entries).Fold();
                next = log.Next;
                foreach (var (_, stats) in mine.Arms)
                {
                    Assert.All(stats.A, a => Assert.Equal(stats.Pulls, a));
                    Assert.All(stats.B, b => Assert.Equal(stats.Pulls, b));
                }
                Assert.Equal(next, mine.Pulls);
            }
            reads++;
        }

        await Task.WhenAll(writers);
        await compactor;
        var final = (await stores[3].ReadBanditAsync("torn", next))!;
        mine = new BanditLog(final.Dimension, final.Base, final.Start, final.Rebuild ? final.Snapshot : mine, final.Entries).Fold();
        Assert.Equal(80, mine.Arms[0].Pulls);
        Assert.Equal(80, mine.Arms[1].Pulls);
        AssertSameSums((await stores[0].GetBanditAsync("torn"))!, mine);
    }

    [Fact]
    public async Task Recent_values_keep_the_newest_and_count_every_push()
    {
        var seen = new List<RecentValues>();
        foreach (var v in new[] { "a", "b", "c", "d", "e" })
        {
            seen.Add(await Store.PushRecentAsync("window", v, keep: 3));
        }
        Assert.Equal([1L, 2, 3, 4, 5], seen.Select(r => r.Count));
        Assert.Equal(["a"], seen[0].Values);
        Assert.Equal(["a", "b", "c"], seen[2].Values);
        Assert.Equal(["c", "d", "e"], seen[4].Values);
        // Another key is another window; the values are not small values of the same name.
        Assert.Equal(["x"], (await Store.PushRecentAsync("other", "x", keep: 3)).Values);
        Assert.Null(await Store.GetValueAsync("window"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.PushRecentAsync("window", "f", keep: 0));
    }

    [Fact]
    public async Task Concurrent_pushes_each_get_their_own_count_and_see_themselves_last()
    {
        var stores = CreateClients(4);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(c => Enumerable.Range(0, 50).Select(k =>
            stores[c].PushRecentAsync("shared-window", $"{c}:{k}", keep: 8))));
        Assert.Equal(Enumerable.Range(1, 200).Select(n => (long)n), results.Select(r => r.Count).Order());
        var pushed = Enumerable.Range(0, 4).SelectMany(c => Enumerable.Range(0, 50).Select(k => $"{c}:{k}")).ToArray();
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(pushed[i], results[i].Values[^1]);
            Assert.Equal((int)Math.Min(results[i].Count, 8), results[i].Values.Count);
        }
        var last = results.MaxBy(r => r.Count)!;
        // The window after the last push is that push's window moved on by one.
        var end = await stores[0].PushRecentAsync("shared-window", "end", keep: 8);
        Assert.Equal(201, end.Count);
        Assert.Equal([.. last.Values.Skip(1), "end"], end.Values);
    }

    [Fact]
    public async Task Idempotency_key_is_claimed_once_until_it_expires()
    {
        Assert.True(await Store.TryClaimAsync("pair-1", ShortTtl));
        Assert.False(await Store.TryClaimAsync("pair-1", ShortTtl));
        Assert.True(await Store.TryClaimAsync("pair-2", ShortTtl));
        await PassAndWaitAsync(ShortTtl, () => Store.TryClaimAsync("pair-1", ShortTtl), "idempotency key pair-1 to expire and be claimable again");
    }

    [Fact]
    public async Task Idempotency_claims_race_to_exactly_one_winner()
    {
        var stores = CreateClients(4);
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => stores[i % 4].TryClaimAsync("contested", TimeSpan.FromMinutes(5))));
        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task Heartbeats_list_live_instances_and_drop_expired_ones()
    {
        await Store.BeatAsync("scorer-0", TimeSpan.FromMinutes(10), "v7");
        await Store.BeatAsync("generator-1", ShortTtl, "policy=3");
        var live = await Store.ListLiveAsync();
        Assert.Equal(["generator-1", "scorer-0"], live.Select(h => h.Id));
        Assert.Equal("policy=3", live[0].Details);
        Assert.Equal("v7", live[1].Details);
        Assert.True(live[1].ExpiresAt > live[0].ExpiresAt);

        await PassAndWaitAsync(ShortTtl, async () => (await Store.ListLiveAsync()).Select(h => h.Id).SequenceEqual(["scorer-0"]),
            "heartbeat of generator-1 to expire while scorer-0 stays live");

        // A new beat brings it back.
        await Store.BeatAsync("generator-1", TimeSpan.FromMinutes(1));
        Assert.Equal(["generator-1", "scorer-0"], (await Store.ListLiveAsync()).Select(h => h.Id));
    }

    [Fact]
    public async Task Values_set_get_delete_and_expire()
    {
        Assert.Null(await Store.GetValueAsync("mode"));
        await Store.SetValueAsync("mode", "paused \"all\"\n");
        Assert.Equal("paused \"all\"\n", await Store.GetValueAsync("mode"));
        Assert.True(await Store.DeleteValueAsync("mode"));
        Assert.False(await Store.DeleteValueAsync("mode"));
        Assert.Null(await Store.GetValueAsync("mode"));

        await Store.SetValueAsync("lease", "x", ShortTtl);
        Assert.Equal("x", await Store.GetValueAsync("lease"));
        await PassAndWaitAsync(ShortTtl, async () => await Store.GetValueAsync("lease") is null, "value 'lease' to expire");
    }

    [Fact]
    public async Task Several_values_come_back_in_the_order_asked_with_null_for_the_absent_and_expired()
    {
        Assert.Empty(await Store.GetValuesAsync([]));
        await Store.SetValueAsync("v:a", "1");
        await Store.SetValueAsync("v:b", "two");
        await Store.SetValueAsync("v:short", "gone soon", ShortTtl);
        var five = await Store.GetValuesAsync(["v:b", "v:missing", "v:a", "v:b", "v:short"]);
        Assert.Equal(new[] { "two", null, "1", "two", "gone soon" }, five.AsEnumerable());
        await PassAndWaitAsync(ShortTtl, async () => (await Store.GetValuesAsync(["v:short"]))[0] is null, "value 'v:short' to expire");
        var two = await Store.GetValuesAsync(["v:a", "v:short"]);
        Assert.Equal(new[] { "1", null }, two.AsEnumerable());
    }

    [Fact]
    public async Task Backlog_counter_increments_and_decrements_atomically()
    {
        Assert.Equal(1, await Store.IncrementAsync("backlog"));
        Assert.Equal(6, await Store.IncrementAsync("backlog", 5));
        Assert.Equal(-3, await Store.IncrementAsync("backlog", -9));
        Assert.Equal("-3", await Store.GetValueAsync("backlog"));

        var stores = CreateClients(3);
        // 3 clients × 50 tasks: +2 on even, -1 on odd → 3 × (25×2 − 25) = 75.
        await Task.WhenAll(Enumerable.Range(0, 150).Select(i => stores[i % 3].IncrementAsync("backlog", (i / 3) % 2 == 0 ? 2 : -1)));
        Assert.Equal(72, await Store.IncrementAsync("backlog", 0));
    }

    [Fact]
    public async Task Namespaces_isolate_stores()
    {
        await Store.SetValueAsync("shared-name", "mine");
        var other = CreateOtherNamespace();
        Assert.Null(await other.GetValueAsync("shared-name"));
        Assert.True(await other.TryClaimAsync("k", TimeSpan.FromMinutes(1)));
        Assert.True(await Store.TryClaimAsync("k", TimeSpan.FromMinutes(1)));
    }

    /// <summary>A store on the same backend under a different namespace.</summary>
    protected abstract IStateStore CreateOtherNamespace();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases connections the subclass opened.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
