using System.Text;
using System.Text.Json;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>
/// End to end through the `align` tool as separate processes: `align broker` (the fixture),
/// `align prompts push`, `align topics list|tail`, and kcat reading the same records.
/// </summary>
[Collection(KafkaBrokerCollection.Name)]
public sealed class AlignCliKafkaTests(KafkaBrokerFixture broker) : IDisposable
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("align-push-").FullName;

    [Fact]
    public void Broker_prints_the_bootstrap_line_first()
    {
        Assert.Matches(@"^bootstrap=127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$", broker.FirstLine);
    }

    [Fact]
    public void Topics_list_shows_the_project_topics_with_their_partition_counts()
    {
        var (code, stdout, stderr) = broker.RunAlign(CliTimeout, "topics", "list", "--bootstrap", broker.BootstrapServers);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("align.prompts  partitions=4", stdout, StringComparison.Ordinal);
        Assert.Contains("align.pairs  partitions=4", stdout, StringComparison.Ordinal);
        Assert.Contains("align.dlq  partitions=1", stdout, StringComparison.Ordinal);
        Assert.Contains("[0] leader=1 low=0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Prompts_push_round_trips_and_reports_bad_lines_by_number()
    {
        var ns = "cli" + Guid.NewGuid().ToString("N")[..10];
        var topic = ns + ".prompts";
        var file = Path.Combine(_folder, "prompts.jsonl");
        var lines = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("""{"text":"Summarise the plot of Hamlet.","task":"summarize"}"""),
            Encoding.UTF8.GetBytes("""{"text":"","task":"chat"}"""),
            Encoding.UTF8.GetBytes("""{"text":"Tell me a joke.","task":"chat","metadata":{"lang":"en"},"prompt_id":"fixed-id"}"""),
            Encoding.UTF8.GetBytes("""{"text":"x","task":"chat","metadata":{"n":3}}"""),
            // 0xC3 0x28: a UTF-8 lead byte followed by a non-continuation byte.
            Encoding.ASCII.GetBytes("{\"text\":\"bad ").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.ASCII.GetBytes("\",\"task\":\"chat\"}")).ToArray(),
            Array.Empty<byte>(),
            Encoding.UTF8.GetBytes("""{"text":"Why is the sky blue?","task":"qa"}"""),
            Encoding.UTF8.GetBytes("not json"),
        };
        File.WriteAllBytes(file, lines.SelectMany(l => l.Append((byte)'\n')).ToArray());

        var (code, stdout, stderr) = broker.RunAlign(CliTimeout, "prompts", "push", "--file", file, "--bootstrap", broker.BootstrapServers, $"--Kafka:Namespace={ns}");
        Assert.True(code == 1, $"expected exit 1 (bad lines), got {code}: {stdout} {stderr}");
        Assert.Contains($"pushed 3 prompt(s) to {topic}; 4 line(s) failed", stdout, StringComparison.Ordinal);
        Assert.Contains("prompts.jsonl:2: \"text\" must be a non-empty string", stderr, StringComparison.Ordinal);
        Assert.Contains("prompts.jsonl:4: \"metadata\".\"n\" must be a string", stderr, StringComparison.Ordinal);
        Assert.Contains("prompts.jsonl:5: invalid UTF-8", stderr, StringComparison.Ordinal);
        Assert.Contains("prompts.jsonl:8: not valid JSON", stderr, StringComparison.Ordinal);

        // align topics tail: JSON lines decoded by topic suffix.
        var (tailCode, tailOut, tailErr) = broker.RunAlign(CliTimeout, "topics", "tail", topic, "--bootstrap", broker.BootstrapServers,
            "--from-beginning", "--max", "3", "--timeout", "20");
        Assert.True(tailCode == 0, $"tail exit {tailCode}: {tailErr}");
        var records = tailOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, records.Length);
        var byText = records.ToDictionary(r => r.GetProperty("value").GetProperty("text").GetString()!, r => r);
        Assert.Equal(["Summarise the plot of Hamlet.", "Tell me a joke.", "Why is the sky blue?"], byText.Keys.Order());
        var hamlet = byText["Summarise the plot of Hamlet."];
        var expectedId = RecordIds.PromptId("summarize", "Summarise the plot of Hamlet.", 1);
        Assert.Equal(expectedId, hamlet.GetProperty("key").GetString());
        Assert.Equal(expectedId, hamlet.GetProperty("value").GetProperty("promptId").GetString());
        Assert.Equal(RecordIds.PromptId("qa", "Why is the sky blue?", 7), byText["Why is the sky blue?"].GetProperty("key").GetString());
        var joke = byText["Tell me a joke."];
        Assert.Equal("fixed-id", joke.GetProperty("key").GetString());
        Assert.Equal("en", joke.GetProperty("value").GetProperty("metadata").GetProperty("lang").GetString());

        // A third-party client sees the same records.
        var (kc, kout, kerr) = ExternalTool.Run("kcat", ["-b", broker.BootstrapServers, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\n"],
            CliTimeout, "kcat reads the pushed prompts");
        Assert.True(kc == 0, $"kcat exit {kc}: {kerr}");
        Assert.Equal(byText.Values.Select(r => r.GetProperty("key").GetString()).Order(),
            Encoding.UTF8.GetString(kout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task Tail_of_the_dead_letter_topic_shows_the_reason_and_the_decoded_original()
    {
        var connection = broker.NewConnection(out var topics);
        using var producer = new KafkaProducer(connection, broker.Instruments);
        var original = KafkaConsumeLoopTests.NewPrompt("dl-1");
        var source = new Confluent.Kafka.ConsumeResult<byte[], byte[]>
        {
            Topic = topics.Prompts,
            Partition = new Confluent.Kafka.Partition(2),
            Offset = new Confluent.Kafka.Offset(41),
            Message = new Confluent.Kafka.Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("dl-1"), Value = Google.Protobuf.MessageExtensions.ToByteArray(original), Headers = [] },
        };
        await new DeadLetterWriter(producer, topics.DeadLetter).WriteAsync(source, "generator", DeadLetterWriter.PermanentKind, "prompt too long", null, 1, CancellationToken.None);

        var (code, stdout, stderr) = broker.RunAlign(CliTimeout, "topics", "tail", topics.DeadLetter, "--bootstrap", broker.BootstrapServers, "--from-beginning", "--max", "1", "--timeout", "20");
        Assert.True(code == 0, $"tail exit {code}: {stderr}");
        var record = JsonDocument.Parse(stdout.Trim()).RootElement;
        Assert.Equal("prompt too long", record.GetProperty("reason").GetString());
        Assert.Equal(topics.Prompts, record.GetProperty("source_topic").GetString());
        var headers = record.GetProperty("headers");
        Assert.Equal("2", headers.GetProperty(KafkaHeaderNames.SourcePartition).GetString());
        Assert.Equal("41", headers.GetProperty(KafkaHeaderNames.SourceOffset).GetString());
        Assert.Equal("generator", headers.GetProperty(KafkaHeaderNames.Stage).GetString());
        Assert.Equal("dl-1", record.GetProperty("value").GetProperty("promptId").GetString());
    }

    [Fact]
    public void An_unreachable_cluster_is_one_clear_error()
    {
        var closedPort = FreePort.Next();
        var (code, _, stderr) = broker.RunAlign(CliTimeout, "topics", "list", "--bootstrap", $"127.0.0.1:{closedPort}");
        Assert.Equal(1, code);
        Assert.Contains("Check --bootstrap / Kafka:BootstrapServers", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public void A_clean_file_pushes_with_exit_zero()
    {
        var ns = "cli" + Guid.NewGuid().ToString("N")[..10];
        var file = Path.Combine(_folder, "ok.jsonl");
        File.WriteAllText(file, "{\"text\":\"one\",\"task\":\"chat\"}\r\n{\"text\":\"two\",\"task\":\"chat\"}\n");
        var (code, stdout, stderr) = broker.RunAlign(CliTimeout, "prompts", "push", "--file", file, "--bootstrap", broker.BootstrapServers, $"--Kafka:Namespace={ns}");
        Assert.True(code == 0, $"exit {code}: {stdout} {stderr}");
        Assert.Contains($"pushed 2 prompt(s) to {ns}.prompts; 0 line(s) failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_configuration_value_exits_non_zero_naming_the_field()
    {
        var (code, stdout, stderr) = broker.RunAlign(CliTimeout, "broker", "--Kafka:SessionTimeoutMs=100");
        Assert.Equal(1, code);
        Assert.Contains("Kafka:SessionTimeoutMs=100", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("bootstrap=", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_stops_cleanly_on_sigterm()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in new[] { broker.AlignDll, "broker", "--brokers", "2" })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(CliTimeout);
            Assert.Matches(@"^bootstrap=127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$", first);
            var stderr = process.StandardError.ReadToEndAsync();
            var (killCode, _, killErr) = ExternalTool.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], CliTimeout, "sending SIGTERM");
            Assert.True(killCode == 0, killErr);
            using var exitWait = new CancellationTokenSource(CliTimeout);
            await process.WaitForExitAsync(exitWait.Token); // phase: broker exits after SIGTERM
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("align broker: stopping", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
