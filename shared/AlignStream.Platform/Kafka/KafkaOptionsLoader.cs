using Microsoft.Extensions.Configuration;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Loads <see cref="KafkaOptions"/> the standard .NET way for tools that run without a host:
/// appsettings.json (optional, current directory), environment variables with the ALIGN_ prefix
/// (ALIGN_Kafka__BootstrapServers), then `--Kafka:Key=Value` command-line arguments.
/// </summary>
public static class KafkaOptionsLoader
{
    /// <summary>Prefix of the environment variables read.</summary>
    public const string EnvironmentPrefix = "ALIGN_";

    /// <summary>The layered configuration.</summary>
    public static IConfiguration BuildConfiguration(IEnumerable<string> commandLineArgs) =>
        new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(commandLineArgs.ToArray())
            .Build();

    /// <summary>Binds the "Kafka" section; <paramref name="bootstrapOverride"/> (from --bootstrap) wins when given. Not validated.</summary>
    public static KafkaOptions Bind(IConfiguration configuration, string? bootstrapOverride = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new KafkaOptions();
        configuration.GetSection(KafkaOptions.SectionName).Bind(options);
        if (!string.IsNullOrWhiteSpace(bootstrapOverride))
        {
            options.BootstrapServers = bootstrapOverride;
            options.UseEmbeddedCluster = false;
        }
        return options;
    }
}
