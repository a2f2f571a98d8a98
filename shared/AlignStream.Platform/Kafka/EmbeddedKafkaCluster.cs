using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// librdkafka's mock cluster hosted in this process: real Kafka protocol on 127.0.0.1 TCP ports that
/// other processes and third-party clients (kcat) can join. The project's topics are created with
/// their configured partition counts before anyone can auto-create them (auto-created topics get 4).
/// Data lives in memory and is gone when the cluster is disposed; ports change on every start.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private readonly IProducer<byte[], byte[]> _owner;
    private readonly IntPtr _mockCluster;
    private readonly Lock _gate = new();
    private bool _disposed;

    private EmbeddedKafkaCluster(IProducer<byte[], byte[]> owner, IntPtr mockCluster, string bootstrapServers, int brokerCount)
    {
        _owner = owner;
        _mockCluster = mockCluster;
        BootstrapServers = bootstrapServers;
        BrokerCount = brokerCount;
    }

    /// <summary>host:port of every broker, comma-separated, in broker id order.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers.</summary>
    public int BrokerCount { get; }

    /// <summary>
    /// Starts a cluster of <paramref name="brokers"/> brokers and creates <paramref name="topics"/>
    /// (name → partition count).
    /// </summary>
    public static EmbeddedKafkaCluster Start(int brokers, IReadOnlyDictionary<string, int> topics, ILogger? logger = null)
    {
        if (brokers is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(brokers), brokers, "The embedded cluster supports 1..9 brokers.");
        }
        ArgumentNullException.ThrowIfNull(topics);
        logger ??= NullLogger.Instance;
        var config = new Dictionary<string, string>
        {
            ["test.mock.num.brokers"] = brokers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["client.id"] = "align-embedded-cluster",
            // The hosting client never produces; it only owns the cluster.
            ["bootstrap.servers"] = "127.0.0.1:9",
        };
        var owner = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, m) => KafkaLog.Librdkafka(logger, m))
            .Build();
        try
        {
            var rk = MockClusterNative.KafkaHandleOf(owner.Handle);
            IntPtr mock;
            var added = false;
            rk.DangerousAddRef(ref added);
            try
            {
                mock = MockClusterNative.HandleMockCluster(rk.DangerousGetHandle());
            }
            finally
            {
                if (added)
                {
                    rk.DangerousRelease();
                }
            }
            if (mock == IntPtr.Zero)
            {
                throw new InvalidOperationException("librdkafka did not create a mock cluster: the loaded librdkafka lacks test.mock.num.brokers support.");
            }
            var bootstrap = ReadBootstrap(owner.Handle, brokers);
            var cluster = new EmbeddedKafkaCluster(owner, mock, bootstrap, brokers);
            foreach (var (name, partitions) in topics)
            {
                cluster.CreateTopic(name, partitions);
            }
            return cluster;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>Starts a cluster with the project's topics under <paramref name="options"/>' namespace and partition counts.</summary>
    public static EmbeddedKafkaCluster Start(KafkaOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var names = options.Topics;
        var topics = TopicNames.Suffixes.ToDictionary(names.Of, options.PartitionsFor, StringComparer.Ordinal);
        return Start(options.EmbeddedBrokers, topics, logger);
    }

    /// <summary>Creates a topic with <paramref name="partitions"/> partitions; false when it already exists.</summary>
    public bool CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        replicationFactor = Math.Clamp(replicationFactor, 1, BrokerCount);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var code = (ErrorCode)MockClusterNative.TopicCreate(_mockCluster, name, partitions, replicationFactor);
            return code switch
            {
                ErrorCode.NoError => true,
                ErrorCode.TopicAlreadyExists => false,
                _ => throw new KafkaException(new Error(code, $"creating topic '{name}' with {partitions} partitions on the embedded cluster failed")),
            };
        }
    }

    /// <summary>Stops the brokers; clients connected to them see the connection drop.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _owner.Dispose();
    }

    private static string ReadBootstrap(Handle handle, int expectedBrokers)
    {
        using var admin = new DependentAdminClientBuilder(handle).Build();
        // Metadata is served by the mock brokers themselves, so this also proves they accept connections.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        Metadata metadata;
        do
        {
            metadata = admin.GetMetadata(TimeSpan.FromSeconds(5));
        }
        while (metadata.Brokers.Count < expectedBrokers && DateTime.UtcNow < deadline);
        if (metadata.Brokers.Count < expectedBrokers)
        {
            throw new InvalidOperationException($"embedded cluster reported {metadata.Brokers.Count} of {expectedBrokers} brokers within 10 s");
        }
        return string.Join(",", metadata.Brokers.OrderBy(b => b.BrokerId).Select(b => $"{b.Host}:{b.Port}"));
    }
}
