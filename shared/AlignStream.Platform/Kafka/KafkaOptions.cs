namespace AlignStream.Platform.Kafka;

/// <summary>
/// Kafka settings for every client of a process, bound from the configuration section "Kafka".
/// Production points <see cref="BootstrapServers"/> at a real cluster; the single-process mode sets
/// <see cref="UseEmbeddedCluster"/> and gets librdkafka's mock cluster in-process.
/// </summary>
public sealed class KafkaOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated host:port list. Required unless <see cref="UseEmbeddedCluster"/> is set.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Topic prefix: topics are "{Namespace}.prompts" and so on.</summary>
    public string Namespace { get; set; } = "align";

    /// <summary>client.id sent to the brokers; shows up in broker logs and quotas.</summary>
    public string ClientId { get; set; } = "alignstream";

    /// <summary>Group session timeout. The mock cluster needs more than 3000; a rebalance takes about this long.</summary>
    public int SessionTimeoutMs { get; set; } = 6000;

    /// <summary>
    /// How long a fetch waits for data. An empty fetch waits the full time even when data arrives, so this bounds
    /// the latency a record gains per hop; each idle consumer sends one fetch per wait, so it also sets the CPU that
    /// polling costs the client and the embedded broker (at 5 ms about twice what it is at 25 ms in `align bench loop`).
    /// </summary>
    public int FetchWaitMaxMs { get; set; } = 20;

    /// <summary>
    /// Producer batching delay. 0 by default: a record handler awaits its outputs' acks before the next
    /// record, so any linger is paid once per record (measured: produce-to-ack p50 2.3 ms at 2 ms vs
    /// 0.06 ms at 0 on the mock); under load librdkafka still batches what queues behind in-flight requests.
    /// </summary>
    public int LingerMs { get; set; }

    /// <summary>How long a produce may take (including retries) before it fails.</summary>
    public int MessageTimeoutMs { get; set; } = 30_000;

    /// <summary>Partition counts by topic suffix (prompts, candidates, scored, pairs, dlq); used where this process creates the topics.</summary>
    public Dictionary<string, int> Partitions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Send undecodable or unprocessable records to the dead-letter topic (otherwise they are logged and skipped).</summary>
    public bool DeadLetterEnabled { get; set; } = true;

    /// <summary>Attempts per record (or batch) for transient handler errors before it is dead-lettered.</summary>
    public int MaxHandlerAttempts { get; set; } = 3;

    /// <summary>Delay between handler attempts; doubles each time.</summary>
    public int RetryBackoffMs { get; set; } = 50;

    /// <summary>Host librdkafka's mock cluster in this process and connect to it (single-process mode, tests).</summary>
    public bool UseEmbeddedCluster { get; set; }

    /// <summary>Broker count of the embedded cluster.</summary>
    public int EmbeddedBrokers { get; set; } = 1;

    /// <summary>Extra librdkafka properties (e.g. "security.protocol") applied to every client, after the settings above.</summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Default partition count of each project topic.</summary>
    public static IReadOnlyDictionary<string, int> DefaultPartitions { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        [TopicNames.PromptsSuffix] = 4,
        [TopicNames.CandidatesSuffix] = 4,
        [TopicNames.ScoredSuffix] = 4,
        [TopicNames.PairsSuffix] = 4,
        [TopicNames.DeadLetterSuffix] = 1,
    };

    /// <summary>The partition count for a topic suffix: configured, else the default.</summary>
    public int PartitionsFor(string suffix) =>
        Partitions.TryGetValue(suffix, out var n) ? n : DefaultPartitions.GetValueOrDefault(suffix, 4);

    /// <summary>The project's topic names under <see cref="Namespace"/>.</summary>
    public TopicNames Topics => new(Namespace);

    /// <summary>Every problem with these options, each naming the field and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!UseEmbeddedCluster && string.IsNullOrWhiteSpace(BootstrapServers))
        {
            errors.Add("Kafka:BootstrapServers is empty: set it to host:port[,host:port] (or --bootstrap), or set Kafka:UseEmbeddedCluster=true.");
        }
        if (!TopicNames.IsValidNamespace(Namespace))
        {
            errors.Add($"Kafka:Namespace '{Namespace}' is not a valid topic prefix: use 1-200 characters of a-z, A-Z, 0-9, '.', '_' or '-'.");
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            errors.Add("Kafka:ClientId is empty: set a name for this process, e.g. 'scorer-1'.");
        }
        if (SessionTimeoutMs <= 3000 || SessionTimeoutMs > 300_000)
        {
            errors.Add($"Kafka:SessionTimeoutMs={SessionTimeoutMs} is out of range: use 3001..300000 (6000 is a good local value).");
        }
        if (FetchWaitMaxMs < 0 || FetchWaitMaxMs > 10_000)
        {
            errors.Add($"Kafka:FetchWaitMaxMs={FetchWaitMaxMs} is out of range: use 0..10000 (a few ms locally).");
        }
        if (LingerMs < 0 || LingerMs > 5_000)
        {
            errors.Add($"Kafka:LingerMs={LingerMs} is out of range: use 0..5000.");
        }
        if (MessageTimeoutMs < 1_000)
        {
            errors.Add($"Kafka:MessageTimeoutMs={MessageTimeoutMs} is too small: use at least 1000.");
        }
        if (MaxHandlerAttempts < 1 || MaxHandlerAttempts > 100)
        {
            errors.Add($"Kafka:MaxHandlerAttempts={MaxHandlerAttempts} is out of range: use 1..100.");
        }
        if (RetryBackoffMs < 0 || RetryBackoffMs > 60_000)
        {
            errors.Add($"Kafka:RetryBackoffMs={RetryBackoffMs} is out of range: use 0..60000.");
        }
        if (UseEmbeddedCluster && (EmbeddedBrokers < 1 || EmbeddedBrokers > 9))
        {
            errors.Add($"Kafka:EmbeddedBrokers={EmbeddedBrokers} is out of range: use 1..9.");
        }
        foreach (var (suffix, count) in Partitions)
        {
            if (!DefaultPartitions.ContainsKey(suffix))
            {
                errors.Add($"Kafka:Partitions:{suffix} names no topic: use one of {string.Join(", ", DefaultPartitions.Keys)}.");
            }
            else if (count < 1 || count > 1024)
            {
                errors.Add($"Kafka:Partitions:{suffix}={count} is out of range: use 1..1024.");
            }
        }
        return errors;
    }

    /// <summary>Throws <see cref="KafkaOptionsException"/> listing every problem, so a process stops at start with the fix.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new KafkaOptionsException(errors);
        }
    }
}
