using AlignStream.Platform.Hosting;
using AlignStream.Platform.Metrics;
using MassTransit;

namespace AlignStream.Platform.Bus;

/// <summary>DI registration of the MassTransit control plane, transport chosen by <c>Bus:Transport</c>.</summary>
public static class BusServiceCollectionExtensions
{
    /// <summary>
    /// Adds MassTransit with the in-memory transport (<c>Bus:Transport=InMemory</c>, default) or RabbitMQ
    /// (<c>Bus:Transport=RabbitMq</c> at <c>RabbitMq:Uri</c>), consumers registered by <paramref name="consumers"/>,
    /// endpoints configured by convention (kebab-case, optional <c>Bus:EndpointPrefix</c>), retry middleware
    /// (<c>Bus:RetryLimit</c> tries, <c>Bus:RetryIntervalMs</c> apart), and a host that waits until the bus has
    /// started. MassTransit's own health check ("masstransit-bus") feeds /readyz.
    /// </summary>
    public static IServiceCollection AddAlignBus(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator>? consumers = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<BusOptions>(BusOptions.SectionName);
        services.AddValidatedOptions<RabbitMqOptions>(RabbitMqOptions.SectionName);
        services.AddAlignMetrics();

        // The transport is a registration-time choice; an invalid value falls back to in-memory here and is then
        // reported by options validation when the host starts.
        var bus = configuration.GetSection(BusOptions.SectionName).Get<BusOptions>() ?? new BusOptions();
        services.AddConsumeObserver(sp => new BusMetricsObserver(sp.GetRequiredService<PlatformInstruments>()));
        services.AddPublishObserver(sp => new BusMetricsObserver(sp.GetRequiredService<PlatformInstruments>()));
        services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(
                string.IsNullOrEmpty(bus.EndpointPrefix) ? null : bus.EndpointPrefix, includeNamespace: false));
            consumers?.Invoke(x);
            if (bus.UsesRabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    // Read without validation: MassTransit builds the bus before ValidateOnStart runs, and a bad value
                    // must surface as the start's configuration error (with every other one), not as this exception.
                    var rabbit = configuration.GetSection(RabbitMqOptions.SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
                    var address = (rabbit.Validate().Any() ? new RabbitMqOptions() : rabbit).Parse();
                    cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
                    {
                        h.Username(address.User);
                        h.Password(address.Password);
                        if (address.Tls)
                        {
                            h.UseSsl(_ => { });
                        }
                    });
                    ConfigureCommon(context, cfg, configuration);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => ConfigureCommon(context, cfg, configuration));
            }
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(30);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });
        return services;
    }

    private static void ConfigureCommon<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> cfg, IConfiguration configuration)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        // Unvalidated read for the same reason as the RabbitMQ address; out-of-range values are clamped here and
        // reported by validation when the host starts.
        var bus = configuration.GetSection(BusOptions.SectionName).Get<BusOptions>() ?? new BusOptions();
        var retries = Math.Clamp(bus.RetryLimit, 0, 20);
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(bus.RetryIntervalMs, 0, 60_000));
        // Consumers throw; this middleware decides: a few quick retries, then the error queue.
        cfg.UseMessageRetry(r => r.Interval(retries, interval));
        cfg.ConfigureEndpoints(context);
    }
}
