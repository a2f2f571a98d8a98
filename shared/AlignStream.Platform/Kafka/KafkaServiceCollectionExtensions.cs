using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Kafka;

/// <summary>Wiring of the Kafka platform into a host.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="KafkaOptions"/> from the "Kafka" section (validated at start), and registers the
    /// instruments, the connection (starting the embedded cluster when Kafka:UseEmbeddedCluster is set)
    /// and the process's one idempotent <see cref="IKafkaProducer"/>.
    /// </summary>
    public static IServiceCollection AddAlignKafka(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KafkaOptions>().Bind(configuration.GetSection(KafkaOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<KafkaInstruments>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KafkaOptions>>().Value;
            return EmbeddedKafkaCluster.Start(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<EmbeddedKafkaCluster>());
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KafkaOptions>>().Value;
            var bootstrap = options.UseEmbeddedCluster ? sp.GetRequiredService<EmbeddedKafkaCluster>().BootstrapServers : null;
            return new KafkaConnection(options, bootstrap);
        });
        services.TryAddSingleton<KafkaProducer>();
        services.TryAddSingleton<IKafkaProducer>(sp => sp.GetRequiredService<KafkaProducer>());
        return services;
    }

    /// <summary>Adds a hosted consume loop that hands records one at a time to <typeparamref name="THandler"/> (a singleton).</summary>
    public static IServiceCollection AddKafkaRecordConsumer<TRecord, THandler>(this IServiceCollection services, Func<TopicNames, KafkaConsumerLoopOptions> loop)
        where TRecord : class, IMessage<TRecord>, new()
        where THandler : class, IRecordHandler<TRecord>
    {
        ArgumentNullException.ThrowIfNull(loop);
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(sp =>
        {
            var connection = sp.GetRequiredService<KafkaConnection>();
            return KafkaConsumeLoop<TRecord>.ForRecords(loop(connection.Topics), sp.GetRequiredService<THandler>(), connection,
                sp.GetRequiredService<IKafkaProducer>(), sp.GetRequiredService<KafkaInstruments>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<KafkaConsumeLoop<TRecord>>(), sp.GetService<IHostApplicationLifetime>());
        });
        return services;
    }

    /// <summary>Adds a hosted consume loop that hands batches to <typeparamref name="THandler"/> (a singleton).</summary>
    public static IServiceCollection AddKafkaBatchConsumer<TRecord, THandler>(this IServiceCollection services, Func<TopicNames, KafkaConsumerLoopOptions> loop)
        where TRecord : class, IMessage<TRecord>, new()
        where THandler : class, IBatchRecordHandler<TRecord>
    {
        ArgumentNullException.ThrowIfNull(loop);
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(sp =>
        {
            var connection = sp.GetRequiredService<KafkaConnection>();
            return KafkaConsumeLoop<TRecord>.ForBatches(loop(connection.Topics), sp.GetRequiredService<THandler>(), connection,
                sp.GetRequiredService<IKafkaProducer>(), sp.GetRequiredService<KafkaInstruments>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<KafkaConsumeLoop<TRecord>>(), sp.GetService<IHostApplicationLifetime>());
        });
        return services;
    }
}
