namespace AlignStream.Platform.Kafka;

/// <summary>A topic's partitions with their low and high watermarks.</summary>
public sealed record TopicSummary(string Name, IReadOnlyList<PartitionSummary> Partitions)
{
    /// <summary>Records currently retained across partitions (high minus low).</summary>
    public long Records => Partitions.Sum(p => Math.Max(0, p.High - p.Low));
}

/// <summary>One partition: leader broker and watermarks.</summary>
public sealed record PartitionSummary(int Partition, int Leader, long Low, long High);
