using AlignStream.Generator.Extensions;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Generator.Tests.Service;

/// <summary>Bad configuration stops the generator before it serves, with exit code 2 and one line per bad key.</summary>
public sealed class GeneratorConfigurationTests
{
    [Fact]
    public async Task Missing_model_and_invalid_generator_keys_exit_with_code_2_naming_each_key()
    {
        var builder = TestHosts.CreateBuilder(
            "--Kafka:UseEmbeddedCluster=true", "--Weights:Store=unused", "--Weights:SigningKey=generator-tests-signing-key",
            "--Generator:Slots=0", "--Generator:Tasks:arith:TopP=2");
        builder.AddGeneratorStage();
        builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddGeneratorConsumers("config-test"));
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        using var error = new StringWriter();

        var code = await AlignHost.RunAsync(app, error: error);

        var text = error.ToString();
        Assert.Equal(AlignHost.ConfigurationErrorExitCode, code);
        Assert.Contains("configuration error: Model:Path: is empty", text, StringComparison.Ordinal);
        Assert.Contains("configuration error: Generator:Slots: must be within 1..4096 (got 0)", text, StringComparison.Ordinal);
        Assert.Contains("configuration error: Generator:Tasks:arith:TopP: must be in (0, 1]", text, StringComparison.Ordinal);
    }
}
