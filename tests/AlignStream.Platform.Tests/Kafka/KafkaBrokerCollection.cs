namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Test classes that share one `align broker` process.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaBrokerCollection : ICollectionFixture<KafkaBrokerFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "kafka-broker";
}
