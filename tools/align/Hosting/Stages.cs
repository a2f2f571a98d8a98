using AlignStream.Generator.Extensions;
using AlignStream.Platform.Bus;
using AlignStream.Scorer.Extensions;
using AlignStream.Trainer.Extensions;

namespace AlignStream.Cli.Hosting;

/// <summary>The three pipeline stages, added to one builder: all of them for `align up`, one for `align run`.</summary>
public static class Stages
{
    public static readonly IReadOnlyList<string> All = ["generator", "scorer", "trainer"];

    /// <summary>Adds each named stage and one bus carrying the consumers of all of them.</summary>
    public static void Add(WebApplicationBuilder builder, IReadOnlyCollection<string> stages)
    {
        foreach (var stage in stages)
        {
            switch (stage)
            {
                case "generator":
                    builder.AddGeneratorStage();
                    break;
                case "scorer":
                    builder.AddScorerStage();
                    break;
                case "trainer":
                    builder.AddTrainerStage();
                    break;
                default:
                    throw new ArgumentException($"unknown stage '{stage}': use generator, scorer or trainer", nameof(stages));
            }
        }
        builder.Services.AddAlignBus(builder.Configuration, bus =>
        {
            if (stages.Contains("generator"))
            {
                bus.AddGeneratorConsumers();
            }
            if (stages.Contains("scorer"))
            {
                bus.AddScorerConsumers();
            }
            if (stages.Contains("trainer"))
            {
                bus.AddTrainerConsumers();
            }
        });
    }
}
