using System.Net;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Tests.Hosting;

/// <summary>Service defaults: endpoints, binding, configuration sources and the configuration-error exit path.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task Healthz_and_readyz_respond_and_readiness_follows_health_checks()
    {
        var ready = false;
        var builder = TestHosts.CreateBuilder();
        builder.Services.AddHealthChecks().AddCheck("dependency", () => ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not yet"));
        await using var app = await TestHosts.StartAsync(builder);
        using var http = new HttpClient { BaseAddress = app.GetListenUri() };

        using (var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        }

        using (var notReady = await http.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        ready = true;
        using var nowReady = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, nowReady.StatusCode);
    }

    [Fact]
    public async Task Metrics_binds_to_loopback_on_an_ephemeral_port_and_reports_its_url()
    {
        await using var app = await TestHosts.StartAsync(TestHosts.CreateBuilder("--Metrics:Host=127.0.0.1"));
        var uri = app.GetMetricsUri();
        Assert.Equal("127.0.0.1", uri.Host);
        Assert.NotEqual(0, uri.Port);
        Assert.Equal("/metrics", uri.AbsolutePath);
        using var http = new HttpClient();
        var text = await http.GetStringAsync(uri);
        // The host's own uptime gauge is always there.
        Assert.Contains("# TYPE align_host_uptime_seconds gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("align_host_info{service=\"" + app.Environment.ApplicationName + "\",version=\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_prints_the_endpoints_and_returns_0_on_a_clean_stop()
    {
        var app = TestHosts.CreateBuilder().Build();
        app.MapAlignDefaultEndpoints();
        using var buffer = new StringWriter();
        var output = TextWriter.Synchronized(buffer);
        var run = AlignHost.RunAsync(app, output: output);
        string[] lines = [];
        await Eventually.WaitAsync(
            () =>
            {
                string text;
                // The synchronized writer locks itself while writing; read under the same lock.
                lock (output)
                {
                    text = buffer.ToString();
                }

                lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return lines.Length >= 3 || run.IsCompleted;
            },
            TimeSpan.FromSeconds(30), "the host to start and print its three endpoint lines", () => string.Join(" | ", lines));
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^metrics: http://127\.0\.0\.1:\d+/metrics$", lines[0]);
        Assert.Matches(@"^healthz: http://127\.0\.0\.1:\d+/healthz$", lines[1]);
        Assert.Matches(@"^readyz: http://127\.0\.0\.1:\d+/readyz$", lines[2]);
        using var http = new HttpClient();
        Assert.Contains("align_host_uptime_seconds", await http.GetStringAsync(new Uri(lines[0]["metrics: ".Length..])), StringComparison.Ordinal);

        app.Lifetime.StopApplication();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Invalid_port_stops_the_host_with_exit_code_2_and_names_the_field()
    {
        var app = TestHosts.CreateBuilder("--Metrics:Port=-5").Build();
        app.MapAlignDefaultEndpoints();
        using var error = new StringWriter();
        var code = await AlignHost.RunAsync(app, error: error);
        Assert.Equal(2, code);
        Assert.Equal(
            "configuration error: Metrics:Port: must be between 0 and 65535 (got -5). Set it in appsettings.json, as env ALIGN_Metrics__Port, or --Metrics:Port=...",
            error.ToString().TrimEnd());
    }

    [Theory]
    [InlineData(CrashingService.When.DuringStart)]
    [InlineData(CrashingService.When.AfterStart)]
    public async Task A_crashed_background_service_stops_the_host_with_exit_code_1_naming_it(CrashingService.When when)
    {
        var builder = TestHosts.CreateBuilder();
        builder.Services.AddHostedService(sp => new CrashingService(sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(), when));
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        using var error = new StringWriter();
        using var output = new StringWriter();
        var code = await AlignHost.RunAsync(app, error: error, output: output).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Equal("stopped because CrashingService failed: deliberate crash", error.ToString().TrimEnd());
    }

    [Fact]
    public async Task A_port_already_in_use_is_reported_as_a_configuration_error()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var app = TestHosts.CreateBuilder($"--Metrics:Port={port}").Build();
        app.MapAlignDefaultEndpoints();
        using var error = new StringWriter();
        Assert.Equal(2, await AlignHost.RunAsync(app, error: error));
        Assert.StartsWith($"configuration error: Metrics:Port: 127.0.0.1:{port} is already in use", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("ALIGN_Metrics__Port", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_field_of_every_section_is_reported()
    {
        var builder = TestHosts.CreateBuilder("--Bus:Transport=Carrier-Pigeon", "--State:Store=Floppy", "--RabbitMq:Uri=http://x", "--Metrics:Host=");
        builder.Services.AddAlignBus(builder.Configuration);
        builder.Services.AddAlignStateStore(builder.Configuration);
        var app = builder.Build();
        using var error = new StringWriter();
        Assert.Equal(2, await AlignHost.RunAsync(app, error: error));
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length >= 4, error.ToString());
        Assert.Contains("configuration error: Bus:Transport: must be InMemory or RabbitMq (got 'Carrier-Pigeon'). Set it in appsettings.json, as env ALIGN_Bus__Transport, or --Bus:Transport=...", lines);
        Assert.Contains(lines, l => l.StartsWith("configuration error: State:Store: must be Redis or InMemory (got 'Floppy')", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("configuration error: RabbitMq:Uri: must look like amqp://", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("configuration error: Metrics:Host: must be an IP address", StringComparison.Ordinal));
    }

    [Fact]
    public void Prefixed_environment_sits_between_appsettings_and_the_command_line()
    {
        var key = "PlatformTest" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable($"ALIGN_{key}__Value", "from-env");
        Environment.SetEnvironmentVariable($"ALIGN_{key}__Other", "env-only");
        try
        {
            var builder = TestHosts.CreateBuilder($"--{key}:Value=from-command-line");
            Assert.Equal("from-command-line", builder.Configuration[$"{key}:Value"]);
            Assert.Equal("env-only", builder.Configuration[$"{key}:Other"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"ALIGN_{key}__Value", null);
            Environment.SetEnvironmentVariable($"ALIGN_{key}__Other", null);
        }
    }

    [Fact]
    public void Options_bind_from_their_sections_with_defaults()
    {
        var builder = TestHosts.CreateBuilder("--Redis:Namespace=exp1", "--Bus:RetryLimit=5", "--RabbitMq:Uri=amqp://u%40x:p%3Aw@rabbit:5673/%2F");
        builder.Services.AddAlignBus(builder.Configuration);
        builder.Services.AddAlignStateStore(builder.Configuration);
        using var sp = builder.Services.BuildServiceProvider();
        Assert.Equal("exp1", sp.GetRequiredService<IOptions<RedisOptions>>().Value.Namespace);
        Assert.Equal("127.0.0.1:6379", sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration);
        Assert.Equal(5, sp.GetRequiredService<IOptions<BusOptions>>().Value.RetryLimit);
        Assert.IsType<InMemoryStateStore>(sp.GetRequiredService<IStateStore>());
        Assert.Equal(
            new RabbitMqAddress("rabbit", 5673, "/", "u@x", "p:w", Tls: false),
            sp.GetRequiredService<IOptions<RabbitMqOptions>>().Value.Parse());
    }

    [Fact]
    public void Describe_failure_names_key_environment_variable_and_switch() =>
        Assert.Equal(
            "configuration error: Kafka:BootstrapServers: must not be empty. Set it in appsettings.json, as env ALIGN_Kafka__BootstrapServers, or --Kafka:BootstrapServers=...",
            AlignHost.DescribeFailure("Kafka:BootstrapServers: must not be empty"));
}
