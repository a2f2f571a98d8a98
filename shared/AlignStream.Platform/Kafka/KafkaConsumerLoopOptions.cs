namespace AlignStream.Platform.Kafka;

/// <summary>One consume loop: which topics, which group, how it batches. Set in code by the service that owns the stage.</summary>
public sealed class KafkaConsumerLoopOptions
{
    /// <summary>Stage name for metrics, logs and the dead-letter "stage" header (e.g. "scorer").</summary>
    public required string Stage { get; init; }

    /// <summary>Consumer group; replicas of a stage share it.</summary>
    public required string GroupId { get; init; }

    /// <summary>Topics to subscribe to (full names, see <see cref="TopicNames"/>).</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>Most records per batch handler call (1 for record handlers).</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>Longest a batch waits to fill after its first record.</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Where a group without committed offsets starts.</summary>
    public Confluent.Kafka.AutoOffsetReset AutoOffsetReset { get; init; } = Confluent.Kafka.AutoOffsetReset.Earliest;

    /// <summary>Problems with these options, each naming the field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Stage))
        {
            errors.Add("KafkaConsumerLoopOptions.Stage is empty: name the stage, e.g. \"scorer\".");
        }
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            errors.Add("KafkaConsumerLoopOptions.GroupId is empty: set the consumer group.");
        }
        if (Topics is null || Topics.Count == 0 || Topics.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("KafkaConsumerLoopOptions.Topics is empty or has a blank name: list the topics to consume.");
        }
        if (MaxBatchSize < 1 || MaxBatchSize > 100_000)
        {
            errors.Add($"KafkaConsumerLoopOptions.MaxBatchSize={MaxBatchSize} is out of range: use 1..100000.");
        }
        if (MaxBatchWait < TimeSpan.Zero || MaxBatchWait > TimeSpan.FromMinutes(1))
        {
            errors.Add($"KafkaConsumerLoopOptions.MaxBatchWait={MaxBatchWait} is out of range: use 0..1 minute.");
        }
        return errors;
    }
}
