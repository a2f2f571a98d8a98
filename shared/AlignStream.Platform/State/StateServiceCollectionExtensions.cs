using AlignStream.Platform.Hosting;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AlignStream.Platform.State;

/// <summary>DI registration of <see cref="IStateStore"/> chosen by <c>State:Store</c>.</summary>
public static class StateServiceCollectionExtensions
{
    /// <summary>
    /// Registers validated <see cref="StateOptions"/> and <see cref="RedisOptions"/>, and <see cref="IStateStore"/> as a
    /// singleton: <see cref="InMemoryStateStore"/> for <c>State:Store=InMemory</c> (default), or
    /// <see cref="RedisStateStore"/> over one shared <see cref="IConnectionMultiplexer"/> plus a "redis" readiness
    /// check for <c>State:Store=Redis</c>.
    /// </summary>
    public static IServiceCollection AddAlignStateStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // Several stages in one process each ask for the store; the first registration serves them all.
        if (services.Any(d => d.ServiceType == typeof(IStateStore)))
        {
            return services;
        }

        services.AddValidatedOptions<StateOptions>(StateOptions.SectionName);
        services.AddValidatedOptions<RedisOptions>(RedisOptions.SectionName);
        services.AddAlignMetrics();

        var state = configuration.GetSection(StateOptions.SectionName).Get<StateOptions>() ?? new StateOptions();
        if (!state.UsesRedis)
        {
            services.TryAddSingleton<IStateStore>(sp =>
                new InMemoryStateStore(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Namespace, sp.GetService<TimeProvider>()));
            return services;
        }

        services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var redis = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var options = ConfigurationOptions.Parse(redis.Configuration);
            // Keep retrying in the background instead of failing the process when Redis starts after us.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.TryAddSingleton<IStateStore, RedisStateStore>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return services;
    }
}
