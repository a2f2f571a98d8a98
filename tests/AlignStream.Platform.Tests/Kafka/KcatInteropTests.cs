using System.Globalization;
using System.Text;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>
/// Interop: kcat (a third-party Kafka client) reads what the platform wrote to the broker process, and
/// protoc decodes the raw bytes with the project's .proto file.
/// </summary>
[Collection(KafkaBrokerCollection.Name)]
public sealed class KcatInteropTests(KafkaBrokerFixture broker)
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Kcat_reads_the_records_and_protoc_decodes_them()
    {
        var connection = broker.NewConnection(out var topics);
        using var producer = new KafkaProducer(connection, broker.Instruments);
        var prompts = Enumerable.Range(0, 3).Select(i =>
        {
            var p = KafkaConsumeLoopTests.NewPrompt($"kc-{i}");
            p.Text = $"Write a haiku about rivers, take {i} — ünïcödé";
            p.Metadata["source"] = "kcat-test";
            return p;
        }).ToArray();
        var delivered = new List<Confluent.Kafka.DeliveryResult<byte[], byte[]>>();
        foreach (var p in prompts)
        {
            delivered.Add(await producer.ProduceAsync(topics.Prompts, p.PromptId, p));
        }

        // Keys of every record, read by kcat to the end of the topic.
        var (code, keysOut, keysErr) = ExternalTool.Run("kcat",
            ["-b", broker.BootstrapServers, "-C", "-t", topics.Prompts, "-o", "beginning", "-e", "-q", "-f", "%k\n"], ToolTimeout, "kcat lists the keys");
        Assert.True(code == 0, $"kcat exit {code}: {keysErr}");
        var keys = Encoding.UTF8.GetString(keysOut).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(prompts.Select(p => p.PromptId).Order(), keys.Order());

        // One record at a time, raw value bytes (%s) on stdout, then protoc --decode with the project's schema.
        var protos = Path.Combine(RepoPaths.Root, "shared", "AlignStream.Contracts", "Protos");
        for (var i = 0; i < prompts.Length; i++)
        {
            var d = delivered[i];
            var (rc, raw, err) = ExternalTool.Run("kcat",
                ["-b", broker.BootstrapServers, "-C", "-t", topics.Prompts, "-p", d.Partition.Value.ToString(CultureInfo.InvariantCulture),
                 "-o", d.Offset.Value.ToString(CultureInfo.InvariantCulture), "-c", "1", "-e", "-q", "-D", "", "-f", "%s"], ToolTimeout, $"kcat reads record {i} raw");
            Assert.True(rc == 0, $"kcat exit {rc}: {err}");
            Assert.Equal(d.Message.Value, raw);

            var (pc, decoded, perr) = ExternalTool.Run("protoc", ["--decode", "alignstream.v1.Prompt", "-I", protos, "records.proto"], ToolTimeout, $"protoc decodes record {i}", raw);
            Assert.True(pc == 0, $"protoc exit {pc}: {perr}");
            var text = Encoding.UTF8.GetString(decoded);
            Assert.Contains("schema_version: 1", text, StringComparison.Ordinal);
            Assert.Contains($"prompt_id: \"{prompts[i].PromptId}\"", text, StringComparison.Ordinal);
            Assert.Contains("task: \"chat\"", text, StringComparison.Ordinal);
            Assert.Contains("key: \"source\"", text, StringComparison.Ordinal);
            Assert.Contains("value: \"kcat-test\"", text, StringComparison.Ordinal);
            Assert.Contains("created_at_unix_ms: 1700000000000", text, StringComparison.Ordinal);
        }
    }
}
