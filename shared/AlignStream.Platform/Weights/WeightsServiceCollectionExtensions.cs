using AlignStream.Platform.Hosting;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Weights;

/// <summary>DI registration of the weight store shared by the generator, scorer and trainer.</summary>
public static class WeightsServiceCollectionExtensions
{
    /// <summary>
    /// Registers validated <see cref="WeightsOptions"/> (section Weights), <see cref="WeightsInstruments"/> and one
    /// <see cref="WeightStoreDirectory"/> signing and verifying with Weights:SigningKey. Idempotent, so several stages
    /// in one process share them.
    /// </summary>
    public static IServiceCollection AddAlignWeightStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(WeightStoreDirectory)))
        {
            return services;
        }
        services.AddValidatedOptions<WeightsOptions>(WeightsOptions.SectionName);
        services.AddAlignMetrics();
        services.TryAddSingleton<WeightsInstruments>();
        services.TryAddSingleton(sp =>
        {
            var weights = sp.GetRequiredService<IOptions<WeightsOptions>>().Value;
            return new WeightStoreDirectory(weights.Store, new ManifestSigner(weights.SigningKey));
        });
        return services;
    }
}
