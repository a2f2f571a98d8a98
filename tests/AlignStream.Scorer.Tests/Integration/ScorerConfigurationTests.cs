using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Scorer.Extensions;

namespace AlignStream.Scorer.Tests.Integration;

/// <summary>Integration: the scorer host built as Program.cs builds it stops with exit code 2 and names every bad key at once.</summary>
public sealed class ScorerConfigurationTests
{
    [Fact]
    public async Task Every_invalid_setting_is_reported_with_exit_code_2()
    {
        var builder = AlignHost.CreateBuilder(
        [
            "--Metrics:Port=0",
            "--Kafka:UseEmbeddedCluster=true",
            "--Scorer:RewardModels=afinn,nope",
            "--Scorer:Selector=best",
            "--Scorer:SegmentWeighting=true",
            "--Weights:Store=unused",
            "--Weights:SigningKey=short",
        ]);
        builder.Logging.ClearProviders();
        builder.AddScorerStage();
        builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddScorerConsumers());
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        using var error = new StringWriter();

        var code = await AlignHost.RunAsync(app, error: error);

        Assert.Equal(AlignHost.ConfigurationErrorExitCode, code);
        var text = error.ToString();
        Assert.Contains("configuration error: Scorer:RewardModels: names unknown reward model 'nope'", text);
        Assert.Contains("configuration error: Scorer:Selector:", text);
        Assert.Contains("configuration error: Scorer:SegmentWeighting: needs Scorer:Segments=true", text);
        Assert.Contains("configuration error: Model:Path:", text);
        Assert.Contains("configuration error: Weights:SigningKey:", text);
    }
}
