using AlignStream.Platform.Kafka;
using AlignStream.Platform.Tests.Fixtures;
using Confluent.Kafka;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Reads a whole topic from the beginning without a group (assign), for assertions.</summary>
public static class TopicReader
{
    /// <summary>Reads until <paramref name="expected"/> records arrived; throws naming the phase after <paramref name="timeout"/>.</summary>
    public static async Task<IReadOnlyList<ConsumeResult<byte[], byte[]>>> ReadAsync(KafkaConnection connection, string topic, int expected, TimeSpan timeout, string phase)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(connection.ReaderConfig()).SetLogHandler((_, _) => { }).Build();
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var assigned = false;
        await Eventually.WaitAsync(() =>
        {
            if (!assigned)
            {
                using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
                var meta = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Single();
                if (meta.Error.IsError || meta.Partitions.Count == 0)
                {
                    return false;
                }
                consumer.Assign(meta.Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)));
                assigned = true;
            }
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r?.Message is not null)
            {
                records.Add(r);
            }
            return records.Count >= expected;
        }, timeout, phase, () => $"{records.Count} of {expected} records read from {topic}").ConfigureAwait(false);
        return records;
    }
}
