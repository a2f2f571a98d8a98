using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>
/// Debian's Prometheus on a free loopback port, scraping every second the targets tests add through a
/// file_sd file (Prometheus watches it, so no restart or reload is needed). Started once per test run.
/// </summary>
public sealed class PrometheusFixture : IAsyncLifetime
{
    private readonly TempFolder _dir = new("prometheus");
    private readonly Lock _gate = new();
    private readonly List<string> _targets = [];
    private ServerProcess? _server;

    /// <summary>Web/API port.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>HTTP client on the Prometheus API.</summary>
    public HttpClient Http { get; private set; } = new();

    private string TargetsFile => Path.Combine(_dir.Path, "targets.json");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        WriteTargets();
        var config = $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: align
                file_sd_configs:
                  - files: ['{TargetsFile}']
                    refresh_interval: 1s
            """;
        var configFile = Path.Combine(_dir.Path, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config).ConfigureAwait(false);
        _server = ServerProcess.Start(
            "prometheus",
            [$"--config.file={configFile}", $"--storage.tsdb.path={_dir.Sub("data")}", $"--web.listen-address=127.0.0.1:{Port}"],
            _dir.Path);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.WaitAsync(
            async () =>
            {
                using var r = await Http.GetAsync(new Uri("/-/ready", UriKind.Relative)).ConfigureAwait(false);
                return r.IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(30), $"prometheus to be ready on port {Port}", () => _server.Tail()).ConfigureAwait(false);
    }

    /// <summary>Adds <c>host:port</c> to the scrape targets.</summary>
    public void AddTarget(string hostPort)
    {
        lock (_gate)
        {
            _targets.Add(hostPort);
            WriteTargets();
        }
    }

    /// <summary>Runs an instant query; returns the result vector (empty when no series matched).</summary>
    public async Task<JsonElement[]> QueryAsync(string promql)
    {
        var url = new Uri("/api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative);
        var doc = await Http.GetFromJsonAsync<JsonElement>(url).ConfigureAwait(false);
        if (doc.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException("Prometheus query failed: " + doc.ToString());
        }

        return [.. doc.GetProperty("data").GetProperty("result").EnumerateArray()];
    }

    /// <summary>Server output, for failure messages.</summary>
    public string Tail() => _server?.Tail() ?? "";

    private void WriteTargets()
    {
        var json = JsonSerializer.Serialize(new[] { new { targets = _targets.ToArray(), labels = new Dictionary<string, string>() } });
        // Write then rename, so Prometheus never reads half a file.
        var tmp = TargetsFile + "." + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(tmp, json);
        File.Move(tmp, TargetsFile, overwrite: true);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        Http.Dispose();
        _server?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Tests in this collection share one Prometheus.</summary>
[CollectionDefinition(Name)]
public sealed class PrometheusCollection : ICollectionFixture<PrometheusFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "prometheus";
}
