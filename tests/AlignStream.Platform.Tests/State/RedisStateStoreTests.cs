using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AlignStream.Platform.Tests.State;

/// <summary>The state-store contract on <see cref="RedisStateStore"/> against a real redis-server; each client has its own multiplexer.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisStateStoreTests(RedisServerFixture redis) : StateStoreContractTests
{
    private readonly List<ConnectionMultiplexer> _connections = [];

    /// <inheritdoc />
    protected override TimeSpan ShortTtl => TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    protected override IStateStore[] CreateClients(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => Open(Namespace))];

    /// <inheritdoc />
    protected override IStateStore CreateOtherNamespace() => Open(Namespace + "-other");

    /// <inheritdoc />
    protected override Task PassAndWaitAsync(TimeSpan ttl, Func<Task<bool>> expired, string phase) =>
        Eventually.WaitAsync(expired, ttl + TimeSpan.FromSeconds(15), phase);

    [Fact]
    public async Task Manifest_is_json_at_the_namespaced_key()
    {
        var store = Open(Namespace);
        var m = new WeightsManifest(7, 6, 70, "file:w/v7.safetensors", new string('b', 64), 42, "sig", DateTimeOffset.UnixEpoch);
        await store.SetManifestAsync(ManifestKind.Policy, m);
        await store.SetManifestAsync(ManifestKind.Reference, m with { Version = 5 });

        var db = _connections[0].GetDatabase();
        string? json = await db.StringGetAsync($"{Namespace}:policy:current");
        Assert.NotNull(json);
        Assert.Contains("\"version\":7", json, StringComparison.Ordinal);
        Assert.Contains("\"sha256\":\"" + new string('b', 64) + "\"", json, StringComparison.Ordinal);
        Assert.Contains("\"version\":5", (string?)await db.StringGetAsync($"{Namespace}:reference:current"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bandit_stored_as_sums_before_the_event_log_is_its_snapshot()
    {
        // The earlier layout: one hash of d and each arm's packed sums and pull count, no log and no base.
        var store = Open(Namespace);
        var db = _connections[0].GetDatabase();
        static byte[] Pack(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
        await db.HashSetAsync($"{Namespace}:bandit:old", [
            new("d", 2), new("a:0", Pack(10, -1, -1, 5)), new("b:0", Pack(3.5, 0)), new("n:0", 2),
            new("a:1", Pack(0.0625, 0, 0, 0)), new("b:1", Pack(-0.5, 0)), new("n:1", 3)]);

        var log = (await store.ReadBanditAsync("old", 0))!;
        Assert.True(log.Rebuild);
        Assert.Equal((5L, 5L), (log.Base, log.Next));
        Assert.Equal([10.0, -1, -1, 5], log.Snapshot!.Arms[0].A);
        Assert.Equal([-0.5, 0], log.Snapshot.Arms[1].B);
        Assert.Equal(3, log.Snapshot.Arms[1].Pulls);

        // New observations continue after those five and fold onto the old sums.
        Assert.Equal(5, await store.AppendBanditAsync("old", new BanditObservation(1, [1, 0], -0.1, 1)));
        var sums = (await store.GetBanditAsync("old"))!;
        Assert.Equal([1.0625, 0, 0, 0], sums.Arms[1].A);
        Assert.Equal([0.5, 0], sums.Arms[1].B);
        Assert.Equal(4, sums.Arms[1].Pulls);
    }

    private RedisStateStore Open(string ns)
    {
        var connection = redis.Connect();
        _connections.Add(connection);
        return new RedisStateStore(connection, Options.Create(new RedisOptions { Configuration = redis.Configuration, Namespace = ns }));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        foreach (var c in _connections)
        {
            c.Dispose();
        }
    }
}
