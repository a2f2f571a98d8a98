using AlignStream.Contracts.Records;
using AlignStream.Engine.Sampling;
using AlignStream.Generator.Backpressure;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Handling;
using AlignStream.Generator.Heartbeat;
using AlignStream.Generator.Logging;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Extensions;

/// <summary>Wiring of the generator stage; callable on the same builder as the scorer and trainer stages.</summary>
public static class GeneratorStageExtensions
{
    /// <summary>Bus endpoint name of the policy-publication consumer (an instance suffix keeps replicas apart).</summary>
    public const string PolicyEndpointName = "generator-policy-weights";

    /// <summary>
    /// Registers the generator: validated <c>Generator</c>, <c>Model</c> and <c>Weights</c> options; Kafka, state store
    /// and metrics (shared, TryAdd); the served policy and its hot-swap target and weights watcher; the continuous
    /// decode loop; the prompt batch consume loop(s); backpressure; the heartbeat. An <see cref="ILogitsProcessor"/>
    /// registered in the container is used when <c>Generator:UseLogitsProcessor</c> is true.
    /// </summary>
    public static WebApplicationBuilder AddGeneratorStage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<GeneratorOptions>().BindConfiguration(GeneratorOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeneratorOptions>, GeneratorOptionsValidator>());
        services.AddValidatedOptions<GeneratorModelOptions>(GeneratorModelOptions.SectionName);
        services.AddAlignKafka(configuration);
        services.AddAlignStateStore(configuration);
        services.AddAlignWeightStore();

        services.TryAddSingleton<GeneratorInstruments>();
        services.TryAddSingleton(sp =>
        {
            var model = sp.GetRequiredService<IOptions<GeneratorModelOptions>>().Value;
            var policy = PolicyRuntime.Load(model.Path, sp.GetRequiredService<IOptions<GeneratorOptions>>().Value.Threads);
            var logger = sp.GetRequiredService<ILogger<PolicyRuntime>>();
            policy.Swapped += v => GeneratorLog.PolicyServing(logger, v);
            return policy;
        });
        services.TryAddSingleton<PolicyHotSwapTarget>();
        // Hosted services resolve the policy (which loads the model) only when they start: the host validates every
        // option first and reports all bad keys at once, instead of the first constructor that reads one.
        services.TryAddSingleton(sp => new PolicyWeightsWatcher(() => new WeightsWatcher(
            sp.GetRequiredService<PolicyHotSwapTarget>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<WeightStoreDirectory>(),
            sp.GetRequiredService<WeightsInstruments>(), sp.GetRequiredService<ILogger<WeightsWatcher>>(),
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<GeneratorOptions>>().Value.WeightsPollSeconds)), sp.GetRequiredService<ILogger<PolicyWeightsWatcher>>()));
        services.TryAddSingleton(CreateDecoder);
        services.TryAddSingleton<PromptPreparer>();
        services.TryAddSingleton<TrainerBacklogGate>();
        services.TryAddSingleton(sp => new PromptBatchHandler(sp));

        // Order matters on shutdown (reverse of registration): the consume loops stop first and drain into the
        // decode loop, which stops after them.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PolicyWeightsWatcher>());
        services.AddSingleton<IHostedService>(sp => new DecodeWorker(sp.GetRequiredService<ContinuousBatchDecoder>, sp.GetRequiredService<ILogger<DecodeWorker>>()));
        services.AddSingleton<IHostedService>(sp => new GeneratorHeartbeat(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<IOptions<GeneratorOptions>>(),
            sp.GetRequiredService<PolicyRuntime>, sp.GetRequiredService<ContinuousBatchDecoder>, sp.GetRequiredService<ILogger<GeneratorHeartbeat>>()));
        var loops = configuration.GetSection(GeneratorOptions.SectionName).Get<GeneratorOptions>()?.ConsumerLoops ?? 1;
        for (var i = 0; i < Math.Clamp(loops, 1, 16); i++)
        {
            services.AddKafkaBatchConsumer<Prompt, PromptBatchHandler>(topics =>
            {
                var options = configuration.GetSection(GeneratorOptions.SectionName).Get<GeneratorOptions>() ?? new GeneratorOptions();
                return new KafkaConsumerLoopOptions
                {
                    Stage = "generator",
                    GroupId = string.IsNullOrWhiteSpace(options.GroupId) ? "align-generator" : options.GroupId,
                    Topics = [topics.Prompts],
                    // Clamped: out-of-range values are reported by the options validation at start, naming the key.
                    MaxBatchSize = Math.Clamp(options.BatchSize, 1, 100_000),
                    MaxBatchWait = TimeSpan.FromMilliseconds(Math.Clamp(options.BatchWaitMs, 0, 60_000)),
                };
            });
        }
        return builder;
    }

    /// <summary>
    /// Registers the consumer of <c>PolicyWeightsPublished</c> that nudges the policy watcher, on its own temporary
    /// endpoint per process (every generator replica must see every publication).
    /// </summary>
    public static IBusRegistrationConfigurator AddGeneratorConsumers(this IBusRegistrationConfigurator bus, string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        var instance = instanceId ?? $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant();
        bus.AddConsumer<PolicyWeightsPublishedConsumer>().Endpoint(e =>
        {
            e.Name = PolicyEndpointName;
            e.InstanceId = instance;
            e.Temporary = true;
        });
        return bus;
    }

    private static ContinuousBatchDecoder CreateDecoder(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<GeneratorOptions>>().Value;
        var policy = sp.GetRequiredService<PolicyRuntime>();
        var capacity = Math.Min(policy.Model.Config.MaxPositionEmbeddings, options.MaxPromptTokens + options.LongestResponse());
        var processor = options.UseLogitsProcessor
            ? sp.GetService<ILogitsProcessor>() ?? throw new InvalidOperationException(
                "Generator:UseLogitsProcessor is true but no ILogitsProcessor is registered: register one (ARM-guided decoding) or set it to false")
            : null;
        return new ContinuousBatchDecoder(policy, options.Slots, capacity, options.EffectiveMaxStepTokens, processor, sp.GetRequiredService<GeneratorInstruments>());
    }
}
