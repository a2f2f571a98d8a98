using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>Real redis-server and rabbitmq-server on loopback, started once for the distributed tests.</summary>
[CollectionDefinition(Name)]
public sealed class DistributedServers : ICollectionFixture<RedisServerFixture>, ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "distributed-servers";
}
