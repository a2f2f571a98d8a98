using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Where this process's Kafka clients connect and with which settings: one place that turns
/// <see cref="KafkaOptions"/> (and, in single-process mode, the embedded cluster's address) into
/// librdkafka configurations.
/// </summary>
public sealed class KafkaConnection
{
    /// <summary>Creates the connection settings; <paramref name="bootstrapServers"/> overrides the options' value when given.</summary>
    public KafkaConnection(KafkaOptions options, string? bootstrapServers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        Options = options;
        BootstrapServers = string.IsNullOrWhiteSpace(bootstrapServers) ? options.BootstrapServers : bootstrapServers;
        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            throw new KafkaOptionsException(["Kafka:BootstrapServers is empty: set it to host:port[,host:port] (or --bootstrap)."]);
        }
        Topics = options.Topics;
    }

    /// <summary>The validated options.</summary>
    public KafkaOptions Options { get; }

    /// <summary>The host:port list every client uses.</summary>
    public string BootstrapServers { get; }

    /// <summary>The project's topics under the configured namespace.</summary>
    public TopicNames Topics { get; }

    /// <summary>The idempotent producer's configuration: acks=all, small linger.</summary>
    public ProducerConfig ProducerConfig()
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = Options.ClientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = Options.LingerMs,
            MessageTimeoutMs = Options.MessageTimeoutMs,
            // Idempotence keeps order with up to 5 in flight; retries are librdkafka's.
            MaxInFlight = 5,
        };
        ApplyExtra(config);
        return config;
    }

    /// <summary>A consume loop's configuration: cooperative-sticky, auto-commit of explicitly stored offsets only.</summary>
    public ConsumerConfig ConsumerConfig(string groupId, AutoOffsetReset reset = AutoOffsetReset.Earliest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = Options.ClientId,
            GroupId = groupId,
            EnableAutoCommit = true,
            // Offsets are stored by the loop only after the handler's outputs were acknowledged.
            EnableAutoOffsetStore = false,
            AutoCommitIntervalMs = 1000,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = Options.SessionTimeoutMs,
            FetchWaitMaxMs = Options.FetchWaitMaxMs,
            AutoOffsetReset = reset,
            EnablePartitionEof = false,
        };
        ApplyExtra(config);
        return config;
    }

    /// <summary>A configuration for tools that read without a group commit (tail, list): auto-commit off.</summary>
    public ConsumerConfig ReaderConfig()
    {
        var config = ConsumerConfig($"align-reader-{Guid.NewGuid():N}");
        config.EnableAutoCommit = false;
        return config;
    }

    private void ApplyExtra(ClientConfig config)
    {
        foreach (var (key, value) in Options.Settings)
        {
            config.Set(key, value);
        }
    }
}
