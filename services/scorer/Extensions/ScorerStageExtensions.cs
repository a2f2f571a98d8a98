using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using AlignStream.Scorer.Consumers;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Metrics;
using AlignStream.Scorer.Options;
using AlignStream.Scorer.Reference;
using AlignStream.Scorer.Scoring;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignStream.Scorer.Extensions;

/// <summary>Wiring of the scorer stage; callable on the same builder as the generator and trainer stages.</summary>
public static class ScorerStageExtensions
{
    /// <summary>Bus endpoint of the bandit feedback queue that scorer replicas compete on.</summary>
    public const string BanditFeedbackEndpoint = "scorer-bandit-feedback";

    /// <summary>
    /// Registers the scorer: validated <see cref="ScorerOptions"/> (section Scorer) and <see cref="ScorerModelOptions"/>
    /// (Model:Path), Kafka, the state store, the weight store, the reference model with its hot-swap watcher, the
    /// reward model registry, the LASeR router and feedback applier, the instruments, and the batch consume loop
    /// over <c>align.candidates</c>.
    /// </summary>
    public static WebApplicationBuilder AddScorerStage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddValidatedOptions<ScorerOptions>(ScorerOptions.SectionName);
        services.AddValidatedOptions<ScorerModelOptions>(ScorerModelOptions.SectionName);
        services.AddAlignKafka(configuration);
        services.AddAlignStateStore(configuration);

        // Shared with the other stages in the single-process host: the first registration wins, all are equal.
        services.AddAlignWeightStore();
        services.TryAddSingleton(_ =>
        {
            // Lexicon models are built in; the engine-backed ones (learned, arm) load from RewardModels:LearnedPath/ArmPath.
            var registry = new RewardModelRegistry();
            var engine = configuration.GetSection(EngineRewardModelOptions.SectionName).Get<EngineRewardModelOptions>() ?? new EngineRewardModelOptions();
            EngineRewardModels.Register(registry, engine);
            return registry;
        });

        services.TryAddSingleton<ScorerInstruments>();
        services.TryAddSingleton(sp =>
        {
            var model = sp.GetRequiredService<IOptions<ScorerModelOptions>>().Value;
            var scorer = sp.GetRequiredService<IOptions<ScorerOptions>>().Value;
            return ReferenceModel.Load(model.Path, scorer.Threads);
        });
        services.TryAddSingleton<ReferenceWatcher>(sp => new ReferenceWatcher(
            sp.GetRequiredService<ReferenceModel>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<WeightStoreDirectory>(),
            sp.GetRequiredService<WeightsInstruments>(), sp.GetRequiredService<ScorerInstruments>(),
            sp.GetRequiredService<ILogger<WeightsWatcher>>(),
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ScorerOptions>>().Value.ReferencePollSeconds)));
        services.AddHostedService<ScorerStartup>();
        services.TryAddSingleton<LaserRouter>();
        services.TryAddSingleton<CandidateSetScorer>();
        services.TryAddSingleton<BanditFeedbackApplier>();

        var options = configuration.GetSection(ScorerOptions.SectionName).Get<ScorerOptions>() ?? new ScorerOptions();
        services.AddKafkaBatchConsumer<CandidateSet, CandidateSetHandler>(topics => new KafkaConsumerLoopOptions
        {
            Stage = "scorer",
            GroupId = options.GroupId,
            Topics = [topics.Candidates],
            MaxBatchSize = Math.Max(1, options.MaxBatchSize),
            MaxBatchWait = TimeSpan.FromMilliseconds(Math.Clamp(options.MaxBatchWaitMs, 0, 60_000)),
        });
        return builder;
    }

    /// <summary>
    /// Registers the scorer's bus consumers: <see cref="ScorerReferenceUpdatedConsumer"/> on a temporary endpoint
    /// per process (every replica must hear every reference update) and <see cref="ScorerBanditFeedbackConsumer"/>
    /// on one shared queue (each feedback is applied by one replica).
    /// </summary>
    public static IBusRegistrationConfigurator AddScorerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<ScorerReferenceUpdatedConsumer>().Endpoint(e =>
        {
            e.Name = "scorer-reference-updated";
            e.InstanceId = "-" + Guid.NewGuid().ToString("N")[..12];
            e.Temporary = true;
        });
        bus.AddConsumer<ScorerBanditFeedbackConsumer>().Endpoint(e => e.Name = BanditFeedbackEndpoint);
        return bus;
    }
}
