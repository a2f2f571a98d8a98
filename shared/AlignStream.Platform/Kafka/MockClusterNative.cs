using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// librdkafka's mock-cluster functions, which Confluent.Kafka does not wrap. "librdkafka" resolves
/// through the application's native assets to the same file Confluent.Kafka loaded, so the handle
/// pointers are valid for it (dlopen of one path yields one library).
/// </summary>
internal static partial class MockClusterNative
{
    private const string Library = "librdkafka";

    /// <summary>rd_kafka_mock_cluster_t* of a client created with test.mock.num.brokers, or zero.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_handle_mock_cluster")]
    internal static partial IntPtr HandleMockCluster(IntPtr rk);

    /// <summary>Creates a topic; returns an rd_kafka_resp_err_t (0 ok, 36 already exists).</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TopicCreate(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    /// <summary>
    /// The rd_kafka_t* of a Confluent.Kafka client. Confluent.Kafka 1.9.3 keeps it in the internal
    /// <c>Handle.LibrdkafkaHandle</c> (a SafeHandle); read it by reflection since there is no public accessor.
    /// </summary>
    internal static SafeHandle KafkaHandleOf(Handle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("Confluent.Kafka.Handle has no LibrdkafkaHandle property: this code expects Confluent.Kafka 1.9.x.");
        return property.GetValue(handle) as SafeHandle
            ?? throw new InvalidOperationException("Confluent.Kafka.Handle.LibrdkafkaHandle is not set: the client was disposed.");
    }
}
