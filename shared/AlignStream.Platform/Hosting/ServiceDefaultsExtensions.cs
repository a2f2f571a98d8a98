using System.Net;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AlignStream.Platform.Hosting;

/// <summary>
/// What every AlignStream host shares (eShop ServiceDefaults shape): configuration sources, validated metrics
/// options, the Prometheus collector, health checks, Kestrel on <c>Metrics:Host</c>/<c>Metrics:Port</c>, and the
/// <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> endpoints.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Environment variable prefix: <c>ALIGN_Kafka__BootstrapServers</c> sets <c>Kafka:BootstrapServers</c>.</summary>
    public const string EnvironmentPrefix = "ALIGN_";

    /// <summary>Health check tag for liveness (/healthz). Checks without it only count for readiness (/readyz).</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// Adds ALIGN_-prefixed environment variables (below the command line, above appsettings.json), metrics,
    /// health checks (a "self" liveness check; others add readiness checks with <c>AddHealthChecks().AddCheck</c>),
    /// validated <see cref="MetricsOptions"/>, and binds Kestrel to the metrics address.
    /// </summary>
    public static WebApplicationBuilder AddAlignServiceDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddPrefixedEnvironment(builder.Configuration);
        builder.Services.AddAlignMetrics();
        builder.Services.AddValidatedOptions<MetricsOptions>(MetricsOptions.SectionName);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var options = builder.Configuration.GetSection(MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
            // Invalid values are left to options validation, which fails the start with a message naming the key.
            if (options.Port is < 0 or > 65535 || options.Validate().Any())
            {
                return;
            }

            if (options.Host == "*")
            {
                kestrel.ListenAnyIP(options.Port);
            }
            else if (options.Host == "localhost")
            {
                kestrel.Listen(IPAddress.Loopback, options.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
            }
        });
        return builder;
    }

    /// <summary>Maps <c>/metrics</c> (Prometheus text 0.0.4), <c>/healthz</c> (liveness) and <c>/readyz</c> (every health check).</summary>
    public static WebApplication MapAlignDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Resolve now so the listener sees measurements from the first one on, not from the first scrape.
        var collector = app.Services.GetRequiredService<PrometheusMetricsCollector>();
        var instruments = app.Services.GetRequiredService<PlatformInstruments>();
        app.MapGet("/metrics", (HttpContext ctx) =>
        {
            instruments.MetricsScraped();
            return Results.Text(collector.Collect(), PrometheusText.ContentType);
        });
        app.MapHealthChecks("/healthz", new() { Predicate = c => c.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/readyz");
        return app;
    }

    /// <summary>Inserts the ALIGN_ environment source just before the command line so the command line still wins.</summary>
    internal static void AddPrefixedEnvironment(IConfigurationBuilder configuration)
    {
        if (configuration.Sources.OfType<EnvironmentVariablesConfigurationSource>().Any(s => s.Prefix == EnvironmentPrefix))
        {
            return;
        }

        var source = new EnvironmentVariablesConfigurationSource { Prefix = EnvironmentPrefix };
        var commandLine = configuration.Sources.ToList().FindIndex(s => s is CommandLineConfigurationSource);
        if (commandLine < 0)
        {
            configuration.Sources.Add(source);
        }
        else
        {
            configuration.Sources.Insert(commandLine, source);
        }
    }
}
