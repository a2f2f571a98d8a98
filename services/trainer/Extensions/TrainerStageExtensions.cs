using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using AlignStream.Trainer.Consumers;
using AlignStream.Trainer.Metrics;
using AlignStream.Trainer.Options;
using AlignStream.Trainer.Worker;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignStream.Trainer.Extensions;

/// <summary>Wiring of the trainer stage; callable on the same builder as the generator and scorer stages.</summary>
public static class TrainerStageExtensions
{
    /// <summary>
    /// Registers the trainer: validated <see cref="TrainerOptions"/> (section Trainer), <see cref="TrainerModelOptions"/>
    /// (Model:Path), Kafka, the state store, the weight store (Weights:Store, Weights:SigningKey), instruments, and the
    /// <see cref="TrainerWorker"/> loop. Shared singletons are added with TryAdd.
    /// </summary>
    public static WebApplicationBuilder AddTrainerStage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<TrainerOptions>(TrainerOptions.SectionName);
        services.AddValidatedOptions<TrainerModelOptions>(TrainerModelOptions.SectionName);
        services.AddAlignKafka(builder.Configuration);
        services.AddAlignStateStore(builder.Configuration);
        services.AddAlignWeightStore();
        services.TryAddSingleton<TrainerInstruments>();
        services.TryAddSingleton<TrainerControl>();
        services.TryAddSingleton<VersionPublisher>();
        services.TryAddSingleton<TrainerWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainerWorker>());
        return builder;
    }

    /// <summary>Registers the trainer's control-plane consumers (PipelineCommand on its own endpoint).</summary>
    public static IBusRegistrationConfigurator AddTrainerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<TrainerPipelineCommandConsumer>().Endpoint(e => e.Name = TrainerPipelineCommandConsumer.EndpointName);
        return bus;
    }
}
