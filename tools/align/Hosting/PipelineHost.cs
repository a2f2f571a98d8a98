using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using Microsoft.Extensions.Configuration.Memory;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// Builds the host that `align up` (all stages, one process) and `align run STAGE` (one stage, distributed)
/// run. Both go through the same platform wiring; single-process mode only changes defaults: embedded Kafka,
/// in-memory bus and state store. Defaults sit below appsettings, environment and command line, so any of
/// them can still be overridden with --Section:Key=Value.
/// </summary>
public static class PipelineHost
{
    /// <summary>Configuration defaults of the single-process mode.</summary>
    public static IReadOnlyDictionary<string, string?> SingleProcessDefaults(string runDirectory) => new Dictionary<string, string?>
    {
        ["Kafka:UseEmbeddedCluster"] = "true",
        // The embedded broker shares the engine's cores and answers an empty fetch only after the full wait, so
        // polling is paid in CPU: at 20 ms it took about 2.5% of the process in `align bench loop`, at 50 ms about 2%.
        // 50 ms per hop is nothing next to a generation or a trainer step.
        ["Kafka:FetchWaitMaxMs"] = "50",
        ["Bus:Transport"] = "InMemory",
        ["State:Store"] = "InMemory",
        ["Metrics:Host"] = "127.0.0.1",
        ["Metrics:Port"] = "9464",
        ["Weights:Store"] = Path.Combine(runDirectory, "weights"),
        ["Trainer:CheckpointDirectory"] = Path.Combine(runDirectory, "trainer"),
        // One process signs and verifies; a per-run key means nothing outside this run can inject weights.
        ["Weights:SigningKey"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)),
    };

    /// <summary>Creates the builder with the service defaults and the given lowest-priority defaults.</summary>
    public static WebApplicationBuilder CreateBuilder(IReadOnlyList<string> configurationArgs, IReadOnlyDictionary<string, string?> defaults)
    {
        var builder = AlignHost.CreateBuilder([.. configurationArgs]);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        // Standard output carries the banner and reports; logs go to standard error.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddAlignKafka(builder.Configuration);
        builder.Services.AddAlignStateStore(builder.Configuration);
        return builder;
    }

    /// <summary>What runs where, for the start banner.</summary>
    public static IEnumerable<(string What, string Where)> Describe(WebApplication app)
    {
        var config = app.Configuration;
        var connection = app.Services.GetRequiredService<KafkaConnection>();
        var embedded = string.Equals(config["Kafka:UseEmbeddedCluster"], "true", StringComparison.OrdinalIgnoreCase);
        yield return ("kafka", $"bootstrap={connection.BootstrapServers}" + (embedded ? " (embedded librdkafka mock cluster; data is in memory)" : ""));
        yield return ("topics", string.Join(", ", TopicNames.Suffixes.Select(connection.Topics.Of)));
        yield return ("bus", config["Bus:Transport"] is { Length: > 0 } t && !t.Equals("InMemory", StringComparison.OrdinalIgnoreCase)
            ? $"{t} {RedactUri(config["RabbitMq:Uri"])}" : "in-memory (MassTransit)");
        var store = app.Services.GetRequiredService<IStateStore>();
        yield return ("state", store is InMemoryStateStore ? "in-memory" : $"redis {config["Redis:Configuration"]}");
        yield return ("metrics", app.GetMetricsUri().ToString());
        yield return ("health", new Uri(app.GetListenUri(), "/healthz") + " " + new Uri(app.GetListenUri(), "/readyz"));
    }

    private static string RedactUri(string? uri)
    {
        if (uri is null || !Uri.TryCreate(uri, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.UserInfo))
        {
            return uri ?? "";
        }
        return uri.Replace(u.UserInfo + "@", "***@", StringComparison.Ordinal);
    }
}
