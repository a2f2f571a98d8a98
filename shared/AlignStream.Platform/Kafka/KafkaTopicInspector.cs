using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// Reads topics and watermarks with metadata and offset requests only. (The mock cluster does not
/// support the Admin API; those calls hang until their timeout.)
/// </summary>
public static class KafkaTopicInspector
{
    /// <summary>Every topic the cluster reports except internal ones, sorted by name.</summary>
    public static IReadOnlyList<TopicSummary> ListTopics(KafkaConnection connection, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(connection.ReaderConfig()).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(timeout);
        var topics = new List<TopicSummary>();
        foreach (var topic in metadata.Topics.Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal)).OrderBy(t => t.Topic, StringComparer.Ordinal))
        {
            var partitions = new List<PartitionSummary>();
            foreach (var p in topic.Partitions.OrderBy(p => p.PartitionId))
            {
                var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic.Topic, p.PartitionId), timeout);
                partitions.Add(new PartitionSummary(p.PartitionId, p.Leader, w.Low.Value, w.High.Value));
            }
            topics.Add(new TopicSummary(topic.Topic, partitions));
        }
        return topics;
    }
}
