using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlignStream.Platform.Metrics;

/// <summary>DI registration of the metrics pipeline: IMeterFactory, the Prometheus collector and platform instruments.</summary>
public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMeterFactory"/>, the singleton <see cref="PrometheusMetricsCollector"/> (listening to
    /// AlignStream meters from this container's factory, or created with <c>new Meter</c>) and
    /// <see cref="PlatformInstruments"/>. Idempotent. Areas register their own <c>XxxInstruments</c> singletons
    /// that take <see cref="IMeterFactory"/>.
    /// </summary>
    public static IServiceCollection AddAlignMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IMeterFactory>();
            return new PrometheusMetricsCollector(meter =>
                meter.Name.StartsWith(MetricNames.Meters.Prefix, StringComparison.Ordinal)
                && (meter.Scope is null || ReferenceEquals(meter.Scope, factory)));
        });
        services.TryAddSingleton<PlatformInstruments>();
        return services;
    }
}
