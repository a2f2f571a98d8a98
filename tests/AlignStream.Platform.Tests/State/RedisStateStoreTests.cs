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
