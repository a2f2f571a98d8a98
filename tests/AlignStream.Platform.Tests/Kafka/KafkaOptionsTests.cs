using AlignStream.Platform.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Unit tests: options validation names the field and the fix; topic names follow the namespace.</summary>
public sealed class KafkaOptionsTests
{
    [Fact]
    public void Defaults_with_a_bootstrap_are_valid_and_match_the_local_mock_settings()
    {
        var options = new KafkaOptions { BootstrapServers = "127.0.0.1:9092" };
        Assert.Empty(options.Validate());
        Assert.Equal(6000, options.SessionTimeoutMs);
        Assert.Equal(20, options.FetchWaitMaxMs);
        Assert.Equal("align", options.Namespace);
        Assert.Equal(4, options.PartitionsFor(TopicNames.PromptsSuffix));
        Assert.Equal(1, options.PartitionsFor(TopicNames.DeadLetterSuffix));
    }

    [Theory]
    [InlineData("SessionTimeoutMs", "3000", "Kafka:SessionTimeoutMs=3000")]
    [InlineData("FetchWaitMaxMs", "-1", "Kafka:FetchWaitMaxMs=-1")]
    [InlineData("Namespace", "bad name!", "Kafka:Namespace 'bad name!'")]
    [InlineData("MaxHandlerAttempts", "0", "Kafka:MaxHandlerAttempts=0")]
    [InlineData("Partitions:prompts", "0", "Kafka:Partitions:prompts=0")]
    [InlineData("Partitions:nosuch", "3", "Kafka:Partitions:nosuch names no topic")]
    [InlineData("BootstrapServers", "", "Kafka:BootstrapServers is empty")]
    public void An_invalid_value_is_reported_with_its_field(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "127.0.0.1:9092",
            ["Kafka:" + key] = value,
        }).Build();
        var options = KafkaOptionsLoader.Bind(configuration);
        var error = Assert.Single(options.Validate());
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.Contains(": ", error[expected.Length..], StringComparison.Ordinal); // "...: use ..." says the fix
        var thrown = Assert.Throws<KafkaOptionsException>(options.ThrowIfInvalid);
        Assert.Contains(expected, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bootstrap_override_wins_over_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "10.0.0.1:9092",
            ["Kafka:Settings:socket.keepalive.enable"] = "true",
        }).Build();
        var options = KafkaOptionsLoader.Bind(configuration, "127.0.0.1:1234");
        var connection = new KafkaConnection(options);
        Assert.Equal("127.0.0.1:1234", connection.BootstrapServers);
        var producer = connection.ProducerConfig();
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Confluent.Kafka.Acks.All, producer.Acks);
        Assert.Equal("true", producer.Get("socket.keepalive.enable"));
        var consumer = connection.ConsumerConfig("g1");
        Assert.Equal(Confluent.Kafka.PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);
        Assert.True(consumer.EnableAutoCommit);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal(20, consumer.FetchWaitMaxMs);
    }

    [Fact]
    public void AddAlignKafka_rejects_an_invalid_value_at_start_naming_the_field()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "127.0.0.1:9092",
            ["Kafka:SessionTimeoutMs"] = "100",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddAlignKafka(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KafkaOptions>>().Value);
        Assert.Contains("Kafka:SessionTimeoutMs=100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Consume_loop_options_name_the_bad_field()
    {
        var ok = new KafkaConsumerLoopOptions { Stage = "scorer", GroupId = "scorer", Topics = ["align.candidates"] };
        Assert.Empty(ok.Validate());
        var bad = new KafkaConsumerLoopOptions { Stage = " ", GroupId = "g", Topics = [], MaxBatchSize = 0, MaxBatchWait = TimeSpan.FromMinutes(2) };
        var errors = bad.Validate();
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("KafkaConsumerLoopOptions.Stage is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KafkaConsumerLoopOptions.Topics is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KafkaConsumerLoopOptions.MaxBatchSize=0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KafkaConsumerLoopOptions.MaxBatchWait=00:02:00", StringComparison.Ordinal));
    }

    [Fact]
    public void Topic_names_follow_the_namespace()
    {
        var names = new TopicNames("align");
        Assert.Equal(["align.prompts", "align.candidates", "align.scored", "align.pairs", "align.dlq"], names.All);
        Assert.Equal("align.dlq", names.DeadLetter);
        Assert.Equal("exp1.pairs", new TopicNames("exp1").Pairs);
        Assert.Equal(TopicNames.ScoredSuffix, names.SuffixOf("align.scored"));
        Assert.Null(names.SuffixOf("other.scored"));
        Assert.Null(names.SuffixOf("align.unknown"));
        Assert.Throws<ArgumentException>(() => new TopicNames("a b"));
    }
}
