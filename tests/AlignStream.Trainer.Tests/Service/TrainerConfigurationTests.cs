using AlignStream.Platform.Hosting;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Trainer.Extensions;

namespace AlignStream.Trainer.Tests.Service;

public sealed class TrainerConfigurationTests
{
    [Fact]
    public async Task Bad_trainer_settings_stop_the_start_with_exit_code_2_naming_each_key()
    {
        using var dir = new TempFolder("trainer-config");
        var builder = TestHosts.CreateBuilder(
            "--Kafka:BootstrapServers=127.0.0.1:9", $"--Weights:Store={dir.Path}", "--Weights:SigningKey=0123456789abcdef",
            $"--Model:Path={dir.Path}", "--Trainer:StalePolicy=sometimes", "--Trainer:BatchSize=0", "--Trainer:Beta=-1");
        builder.AddTrainerStage();
        var app = builder.Build();
        using var error = new StringWriter();
        var code = await AlignHost.RunAsync(app, error: error);
        Assert.Equal(AlignHost.ConfigurationErrorExitCode, code);
        var text = error.ToString();
        Assert.Contains("Trainer:StalePolicy", text, StringComparison.Ordinal);
        Assert.Contains("Trainer:BatchSize", text, StringComparison.Ordinal);
        Assert.Contains("Trainer:Beta", text, StringComparison.Ordinal);
        Assert.Contains("Trainer:CheckpointDirectory", text, StringComparison.Ordinal);
    }
}
