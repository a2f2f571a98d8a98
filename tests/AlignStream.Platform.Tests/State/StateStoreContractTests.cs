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

    [Fact]
    public async Task Bandit_updates_add_up_to_hand_computed_statistics()
    {
        Assert.Null(await Store.GetBanditAsync("laser"));
        Assert.Null(await Store.GetBanditPullsAsync("laser", 3));
        // Arm 0: x=(1,2), r=0.5 then x=(3,-1), r=1. A = Σ x xᵀ, b = Σ r x.
        await Store.UpdateBanditAsync("laser", new BanditUpdate(0, [1, 2, 2, 4], [0.5, 1]));
        await Store.UpdateBanditAsync("laser", new BanditUpdate(0, [9, -3, -3, 1], [3, -1]));
        // Arm 2: x=(0.25,0), r=-2, counted as 3 pulls.
        await Store.UpdateBanditAsync("laser", new BanditUpdate(2, [0.0625, 0, 0, 0], [-0.5, 0], Pulls: 3));

        var snap = await Store.GetBanditAsync("laser");
        Assert.NotNull(snap);
        Assert.Equal(2, snap.Dimension);
        Assert.Equal([0, 2], snap.Arms.Keys.Order());
        Assert.Equal([10.0, -1, -1, 5], snap.Arms[0].A);
        Assert.Equal([3.5, 0], snap.Arms[0].B);
        Assert.Equal(2, snap.Arms[0].Pulls);
        Assert.Equal([0.0625, 0, 0, 0], snap.Arms[2].A);
        Assert.Equal([-0.5, 0], snap.Arms[2].B);
        Assert.Equal(3, snap.Arms[2].Pulls);

        // The cheap check: pull counts only, 0 for an arm never updated, as many arms as asked for.
        var three = await Store.GetBanditPullsAsync("laser", 3);
        var one = await Store.GetBanditPullsAsync("laser", 1);
        var four = await Store.GetBanditPullsAsync("laser", 4);
        Assert.Equal(new long[] { 2, 0, 3 }, three);
        Assert.Equal(new long[] { 2 }, one);
        Assert.Equal(new long[] { 2, 0, 3, 0 }, four);
        Assert.Null(await Store.GetBanditPullsAsync("other", 3));
    }

    [Fact]
    public async Task Bandit_arms_read_returns_only_the_listed_arms_as_copies()
    {
        Assert.Null(await Store.GetBanditArmsAsync("some", [0, 1]));
        await Store.UpdateBanditAsync("some", new BanditUpdate(0, [1, 2, 2, 4], [0.5, 1]));
        await Store.UpdateBanditAsync("some", new BanditUpdate(2, [0.0625, 0, 0, 0], [-0.5, 0], Pulls: 3));
        await Store.UpdateBanditAsync("some", new BanditUpdate(2, [1, 0, 0, 0], [1, 0]));

        // Arm 1 was never updated and arm 7 does not exist: both absent; a repeated arm is read once.
        var part = await Store.GetBanditArmsAsync("some", [2, 1, 7, 2]);
        Assert.NotNull(part);
        Assert.Equal(2, part.Dimension);
        Assert.Equal([2], part.Arms.Keys);
        Assert.Equal([1.0625, 0, 0, 0], part.Arms[2].A);
        Assert.Equal([0.5, 0], part.Arms[2].B);
        Assert.Equal(4, part.Arms[2].Pulls);

        // The same statistics as the whole snapshot holds for that arm, and no others.
        var whole = await Store.GetBanditAsync("some");
        var zero = await Store.GetBanditArmsAsync("some", [0]);
        Assert.Equal(whole!.Arms[0].A, zero!.Arms[0].A);
        Assert.Equal(whole.Arms[0].B, zero.Arms[0].B);
        Assert.Equal(whole.Arms[0].Pulls, zero.Arms[0].Pulls);
        Assert.Empty((await Store.GetBanditArmsAsync("some", []))!.Arms);

        zero.Arms[0].A[0] = 99;
        Assert.Equal(1.0, (await Store.GetBanditArmsAsync("some", [0]))!.Arms[0].A[0]);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetBanditArmsAsync("some", [-1]));
    }

    [Fact]
    public async Task Bandit_statistics_larger_than_one_script_chunk_add_exactly()
    {
        // d = 12: A holds 144 doubles, more than the 128 the Redis script handles per struct call.
        const int d = 12;
        var x = Enumerable.Range(0, d).Select(i => (i - 5) * 0.5).ToArray();
        var outer = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                outer[(i * d) + j] = x[i] * x[j];
            }
        }

        await Store.UpdateBanditAsync("wide", new BanditUpdate(4, outer, x));
        await Store.UpdateBanditAsync("wide", new BanditUpdate(4, outer, x.Select(v => 3 * v).ToArray()));

        var arm = (await Store.GetBanditAsync("wide"))!.Arms[4];
        Assert.Equal(outer.Select(v => v + v), arm.A);
        Assert.Equal(x.Select(v => 4 * v), arm.B);
        Assert.Equal(2, arm.Pulls);
    }

    [Fact]
    public async Task Bandit_snapshot_is_a_copy()
    {
        await Store.UpdateBanditAsync("copy", new BanditUpdate(1, [1], [2]));
        var first = await Store.GetBanditAsync("copy");
        first!.Arms[1].A[0] = 99;
        var second = await Store.GetBanditAsync("copy");
        Assert.Equal([1.0], second!.Arms[1].A);
    }

    [Fact]
    public async Task Bandit_update_of_another_dimension_is_refused()
    {
        await Store.UpdateBanditAsync("dims", new BanditUpdate(0, [1, 0, 0, 1], [1, 1]));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Store.UpdateBanditAsync("dims", new BanditUpdate(0, [1, 0, 0, 0, 1, 0, 0, 0, 1], [1, 1, 1])));
        Assert.Contains("dimension", ex.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.UpdateBanditAsync("dims", new BanditUpdate(0, [1, 0, 0], [1, 1])));
    }

    [Fact]
    public async Task Concurrent_bandit_updates_from_several_clients_lose_nothing()
    {
        const int clients = 4;
        const int updatesPerClient = 60;
        const int d = 3;
        const int arms = 3;
        var stores = CreateClients(clients);

        // Integer-valued deltas: every order of additions gives the exact same doubles.
        static BanditUpdate UpdateFor(int client, int k)
        {
            var n = (client * 1000) + k;
            var a = new double[d * d];
            var b = new double[d];
            for (var i = 0; i < a.Length; i++)
            {
                a[i] = ((n + i) % 7) - 3;
            }

            for (var i = 0; i < d; i++)
            {
                b[i] = ((n * (i + 1)) % 5) - 2;
            }

            return new BanditUpdate(n % arms, a, b, Pulls: 1 + (n % 2));
        }

        var expectedA = new double[arms, d * d];
        var expectedB = new double[arms, d];
        var expectedPulls = new long[arms];
        for (var c = 0; c < clients; c++)
        {
            for (var k = 0; k < updatesPerClient; k++)
            {
                var u = UpdateFor(c, k);
                for (var i = 0; i < d * d; i++)
                {
                    expectedA[u.Arm, i] += u.DeltaA[i];
                }

                for (var i = 0; i < d; i++)
                {
                    expectedB[u.Arm, i] += u.DeltaB[i];
                }

                expectedPulls[u.Arm] += u.Pulls;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            // Several updates in flight per client as well as across clients.
            await Task.WhenAll(Enumerable.Range(0, updatesPerClient)
                .Select(k => stores[c].UpdateBanditAsync("shared", UpdateFor(c, k))));
        })));

        var snap = await stores[0].GetBanditAsync("shared");
        Assert.NotNull(snap);
        for (var arm = 0; arm < arms; arm++)
        {
            Assert.Equal(expectedPulls[arm], snap.Arms[arm].Pulls);
            Assert.Equal(Enumerable.Range(0, d * d).Select(i => expectedA[arm, i]), snap.Arms[arm].A);
            Assert.Equal(Enumerable.Range(0, d).Select(i => expectedB[arm, i]), snap.Arms[arm].B);
        }

        Assert.Equal(clients * updatesPerClient * 1.5, expectedPulls.Sum());
    }

    [Fact]
    public async Task Snapshots_read_during_concurrent_updates_are_never_torn()
    {
        var stores = CreateClients(3);
        // Every update adds A += 1 (each cell), b += 2 and one pull, so a consistent snapshot has A = n and b = 2n for its n pulls.
        var writers = Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
        {
            for (var k = 0; k < 80; k++)
            {
                await stores[c].UpdateBanditAsync("torn", new BanditUpdate(k % 2, [1, 1, 1, 1], [2, 2]));
            }
        })).ToArray();
        var snapshots = 0;
        while (!writers.All(w => w.IsCompleted) || snapshots == 0)
        {
            var snap = await stores[2].GetBanditAsync("torn");
            foreach (var (arm, stats) in snap?.Arms ?? new Dictionary<int, BanditArmStatistics>())
            {
                Assert.All(stats.A, a => Assert.Equal(stats.Pulls, a));
                Assert.All(stats.B, b => Assert.Equal(2 * stats.Pulls, b));
            }

            snapshots++;
        }

        await Task.WhenAll(writers);
        var final = await stores[2].GetBanditAsync("torn");
        Assert.Equal(80, final!.Arms[0].Pulls);
        Assert.Equal(80, final.Arms[1].Pulls);
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
