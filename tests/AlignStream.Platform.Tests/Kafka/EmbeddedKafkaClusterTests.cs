using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Integration: the mock cluster hosted in this process, topics created with configured partition counts.</summary>
public sealed class EmbeddedKafkaClusterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Creates_the_project_topics_with_configured_partition_counts_on_every_broker()
    {
        var options = new KafkaOptions
        {
            UseEmbeddedCluster = true,
            EmbeddedBrokers = 3,
            Namespace = "emb",
            Partitions = { ["prompts"] = 3, ["pairs"] = 2 },
        };
        using var cluster = EmbeddedKafkaCluster.Start(options);
        Assert.Equal(3, cluster.BootstrapServers.Split(',').Length);
        Assert.All(cluster.BootstrapServers.Split(','), b => Assert.Matches(@"^127\.0\.0\.1:\d+$", b));

        Assert.True(cluster.CreateTopic("emb.extra", 7));
        Assert.False(cluster.CreateTopic("emb.extra", 7)); // already there

        var connection = new KafkaConnection(options, cluster.BootstrapServers);
        var topics = KafkaTopicInspector.ListTopics(connection, Timeout).ToDictionary(t => t.Name, t => t.Partitions.Count);
        Assert.Equal(3, topics["emb.prompts"]);
        Assert.Equal(4, topics["emb.candidates"]);
        Assert.Equal(4, topics["emb.scored"]);
        Assert.Equal(2, topics["emb.pairs"]);
        Assert.Equal(1, topics["emb.dlq"]);
        Assert.Equal(7, topics["emb.extra"]);
    }

    [Fact]
    public async Task AddAlignKafka_in_embedded_mode_produces_to_the_in_process_cluster()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:UseEmbeddedCluster"] = "true",
            ["Kafka:Namespace"] = "di",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddAlignKafka(configuration).BuildServiceProvider();
        var producer = services.GetRequiredService<IKafkaProducer>();
        var connection = services.GetRequiredService<KafkaConnection>();
        Assert.Equal(services.GetRequiredService<EmbeddedKafkaCluster>().BootstrapServers, connection.BootstrapServers);

        var result = await producer.ProduceAsync(connection.Topics.Prompts, "k", KafkaConsumeLoopTests.NewPrompt("di-1"));
        Assert.Equal(Confluent.Kafka.PersistenceStatus.Persisted, result.Status);
        var summary = KafkaTopicInspector.ListTopics(connection, Timeout).Single(t => t.Name == "di.prompts");
        Assert.Equal(1, summary.Records);
    }
}
