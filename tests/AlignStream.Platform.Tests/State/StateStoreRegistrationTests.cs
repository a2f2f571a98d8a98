using System.Net;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using StackExchange.Redis;

namespace AlignStream.Platform.Tests.State;

/// <summary>Wiring through configuration: <c>State:Store=Redis</c> gives a Redis store on one shared connection, ready when Redis answers.</summary>
[Collection(RedisCollection.Name)]
public sealed class StateStoreRegistrationTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Redis_store_shares_one_multiplexer_and_readyz_reports_redis_and_bus()
    {
        var ns = "reg" + Guid.NewGuid().ToString("N")[..8];
        var builder = TestHosts.CreateBuilder("--State:Store=Redis", $"--Redis:Configuration={redis.Configuration}", $"--Redis:Namespace={ns}");
        builder.Services.AddAlignStateStore(builder.Configuration);
        builder.Services.AddAlignBus(builder.Configuration);
        await using var app = await TestHosts.StartAsync(builder);

        var store = app.Services.GetRequiredService<IStateStore>();
        Assert.IsType<RedisStateStore>(store);
        Assert.Same(app.Services.GetRequiredService<IConnectionMultiplexer>(), app.Services.GetRequiredService<IConnectionMultiplexer>());
        await store.SetValueAsync("probe", "1");
        using (var direct = redis.Connect())
        {
            Assert.Equal("1", (string?)await direct.GetDatabase().StringGetAsync($"{ns}:value:probe"));
        }

        using var http = new HttpClient { BaseAddress = app.GetListenUri() };
        string body = "";
        await Eventually.WaitAsync(
            async () =>
            {
                using var r = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                body = await r.Content.ReadAsStringAsync();
                return r.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(30), "/readyz to report Healthy with the redis and bus checks", () => body);
        Assert.Equal("Healthy", body);
    }

    [Fact]
    public async Task Readyz_is_unavailable_while_redis_cannot_be_reached()
    {
        var closedPort = FreePort.Next();
        var builder = TestHosts.CreateBuilder("--State:Store=Redis", $"--Redis:Configuration=127.0.0.1:{closedPort},connectTimeout=500,syncTimeout=500");
        builder.Services.AddAlignStateStore(builder.Configuration);
        await using var app = await TestHosts.StartAsync(builder);
        using var http = new HttpClient { BaseAddress = app.GetListenUri() };
        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
