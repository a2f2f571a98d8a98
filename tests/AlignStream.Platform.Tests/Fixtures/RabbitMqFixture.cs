using System.Globalization;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>
/// A real rabbitmq-server run as the current user (no system folders): its own node name, ports, data, logs,
/// Erlang cookie (HOME) and epmd port, no plugins. Started once per test run; stopped with rabbitmqctl, then its epmd.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string CtlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";
    private readonly TempFolder _dir = new("rabbitmq");
    private readonly Dictionary<string, string> _env;
    private ServerProcess? _server;

    /// <summary>Chooses ports and writes the plugins file.</summary>
    public RabbitMqFixture()
    {
        var plugins = Path.Combine(_dir.Path, "enabled_plugins");
        File.WriteAllText(plugins, "[].");
        _env = new Dictionary<string, string>
        {
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_NODENAME"] = $"align-test-{Port}@localhost",
            ["RABBITMQ_MNESIA_BASE"] = _dir.Sub("mnesia"),
            ["RABBITMQ_LOG_BASE"] = _dir.Sub("log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
            ["HOME"] = _dir.Sub("home"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            // A private epmd, so stopping it cannot disturb another Erlang node on this machine.
            ["ERL_EPMD_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>AMQP port.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Value for <c>RabbitMq:Uri</c>.</summary>
    public string Uri => $"amqp://guest:guest@127.0.0.1:{Port}/";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _server = ServerProcess.Start(ServerScript, [], _dir.Path, _env);
        await Eventually.WaitAsync(
            async () => !_server.IsRunning ? throw new InvalidOperationException("rabbitmq-server exited: " + _server.Tail()) : await FreePort.IsOpenAsync(Port).ConfigureAwait(false),
            TimeSpan.FromSeconds(90), $"rabbitmq-server to accept AMQP connections on port {Port}", () => _server.Tail()).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        if (_server is not null)
        {
            try
            {
                ServerProcess.RunToEnd(CtlScript, ["stop"], TimeSpan.FromSeconds(30), _env, _dir.Path);
                _server.WaitForExit(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                // Fall through to the kill below.
            }

            _server.Dispose();
            try
            {
                ServerProcess.RunToEnd("epmd", ["-kill"], TimeSpan.FromSeconds(10), _env, _dir.Path);
            }
            catch (TimeoutException)
            {
            }
        }

        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Tests in this collection share one rabbitmq-server.</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "rabbitmq-server";
}
