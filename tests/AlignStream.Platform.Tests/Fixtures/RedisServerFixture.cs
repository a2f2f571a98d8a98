using StackExchange.Redis;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>A real redis-server on a free loopback port, no persistence, started once per test run.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private readonly TempFolder _dir = new("redis");
    private ServerProcess? _server;

    /// <summary>Port redis listens on.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>A new multiplexer (the caller disposes it); tests use several to act as separate replicas.</summary>
    public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(Configuration);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _server = ServerProcess.Start(
            "redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", _dir.Path],
            _dir.Path);
        await Eventually.WaitAsync(() => FreePort.IsOpenAsync(Port), TimeSpan.FromSeconds(20), $"redis-server to accept connections on port {Port}",
            () => _server.Tail()).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        _server?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Tests in this collection share one redis-server.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "redis-server";
}
