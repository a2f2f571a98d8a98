using System.Globalization;
using System.Text;
using System.Text.Json;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using Confluent.Kafka;
using Google.Protobuf;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align topics list` shows topics with partitions and watermarks; `align topics tail TOPIC` prints
/// records as JSON lines, decoding the project's records by topic suffix (dead letters show their headers).
/// </summary>
public sealed class TopicsCommand : ICommand
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public string Name => "topics";

    /// <inheritdoc />
    public string Summary => "topics list | topics tail TOPIC [--from-beginning] [--max N] [--timeout S]  (--bootstrap B)";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        Func<int> run = sub switch
        {
            "list" => () => List(args),
            "tail" => () => Tail(args, cancellationToken),
            _ => throw new UsageException("expected `topics list` or `topics tail TOPIC`"),
        };
        return Task.FromResult(GuardUnreachable("topics", run));
    }

    /// <summary>Loads and validates the Kafka options with --bootstrap applied; throws a usage error naming the field.</summary>
    internal static KafkaConnection Connect(CliArgs args)
    {
        var configuration = KafkaOptionsLoader.BuildConfiguration(args.ConfigurationArgs);
        var options = KafkaOptionsLoader.Bind(configuration, args.String("bootstrap"));
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(" ", errors));
        }
        return new KafkaConnection(options);
    }

    /// <summary>Runs a Kafka action; a cluster that cannot be reached is a one-line error (exit 1), not a stack trace.</summary>
    internal static int GuardUnreachable(string verb, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (KafkaException e)
        {
            Console.Error.WriteLine($"align {verb}: Kafka error {e.Error.Code}: {e.Error.Reason}. Check --bootstrap / Kafka:BootstrapServers and that the cluster is running (`align broker`).");
            return 1;
        }
    }

    /// <summary>Options typed but not understood are usage errors, so a typo does not pass silently.</summary>
    internal static void RejectUnknown(CliArgs args)
    {
        var unknown = args.Unread().ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }

    private static int List(CliArgs args)
    {
        var connection = Connect(args);
        RejectUnknown(args);
        var topics = KafkaTopicInspector.ListTopics(connection, MetadataTimeout);
        if (topics.Count == 0)
        {
            Console.Error.WriteLine($"no topics on {connection.BootstrapServers}");
            return 0;
        }
        foreach (var topic in topics)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{topic.Name}  partitions={topic.Partitions.Count}  records={topic.Records}"));
            foreach (var p in topic.Partitions)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{p.Partition}] leader={p.Leader} low={p.Low} high={p.High}"));
            }
        }
        return 0;
    }

    private static int Tail(CliArgs args, CancellationToken cancellationToken)
    {
        if (args.Positional.Count < 2)
        {
            throw new UsageException("missing TOPIC: `align topics tail align.prompts`");
        }
        var topic = args.Positional[1];
        var connection = Connect(args);
        var fromBeginning = args.Flag("from-beginning");
        var max = args.Long("max", long.MaxValue);
        var idle = args.Double("timeout", double.PositiveInfinity);
        RejectUnknown(args);
        if (max < 1)
        {
            throw new UsageException("--max must be at least 1");
        }

        using var consumer = new ConsumerBuilder<byte[], byte[]>(connection.ReaderConfig()).SetLogHandler((_, _) => { }).Build();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var metadata = admin.GetMetadata(topic, MetadataTimeout);
            var info = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
            if (info is null || info.Error.IsError || info.Partitions.Count == 0)
            {
                Console.Error.WriteLine($"align topics: topic '{topic}' not found on {connection.BootstrapServers} ({info?.Error.Reason ?? "no metadata"})");
                return 1;
            }
            var start = fromBeginning ? Offset.Beginning : Offset.End;
            consumer.Assign(info.Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, start)));
        }

        var suffix = topic[(topic.LastIndexOf('.') + 1)..];
        var stdout = Console.OpenStandardOutput();
        var printed = 0L;
        var lastRecord = DateTime.UtcNow;
        while (printed < max && !cancellationToken.IsCancellationRequested)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is null)
            {
                if ((DateTime.UtcNow - lastRecord).TotalSeconds >= idle)
                {
                    break;
                }
                continue;
            }
            lastRecord = DateTime.UtcNow;
            WriteJsonLine(stdout, result, suffix);
            printed++;
        }
        stdout.Flush();
        Console.Error.WriteLine($"align topics: {printed} record(s) from {topic}");
        return 0;
    }

    private static void WriteJsonLine(Stream output, ConsumeResult<byte[], byte[]> result, string suffix)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("topic", result.Topic);
            json.WriteNumber("partition", result.Partition.Value);
            json.WriteNumber("offset", result.Offset.Value);
            json.WriteNumber("timestamp_ms", result.Message.Timestamp.UnixTimestampMs);
            if (result.Message.Key is null)
            {
                json.WriteNull("key");
            }
            else
            {
                json.WriteString("key", Encoding.UTF8.GetString(result.Message.Key));
            }
            json.WriteStartObject("headers");
            foreach (var h in result.Message.Headers ?? [])
            {
                json.WriteString(h.Key, Encoding.UTF8.GetString(h.GetValueBytes()));
            }
            json.WriteEndObject();
            if (suffix == TopicNames.DeadLetterSuffix)
            {
                json.WriteString("reason", result.Message.Headers.GetString(KafkaHeaderNames.Reason));
                json.WriteString("source_topic", result.Message.Headers.GetString(KafkaHeaderNames.SourceTopic));
                var source = result.Message.Headers.GetString(KafkaHeaderNames.SourceTopic) ?? "";
                WriteValue(json, result.Message.Value, source[(source.LastIndexOf('.') + 1)..]);
            }
            else
            {
                WriteValue(json, result.Message.Value, suffix);
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        buffer.Position = 0;
        buffer.CopyTo(output);
    }

    private static void WriteValue(Utf8JsonWriter json, byte[]? value, string suffix)
    {
        MessageParser? parser = suffix switch
        {
            TopicNames.PromptsSuffix => Prompt.Parser,
            TopicNames.CandidatesSuffix => CandidateSet.Parser,
            TopicNames.ScoredSuffix => ScoredSet.Parser,
            TopicNames.PairsSuffix => PreferencePair.Parser,
            _ => null,
        };
        if (parser is not null && value is not null)
        {
            try
            {
                var message = parser.ParseFrom(value);
                // JsonFormatter pads its output; re-emit it compactly so each record stays one tidy line.
                using var formatted = JsonDocument.Parse(JsonFormatter.Default.Format(message));
                json.WritePropertyName("value");
                formatted.RootElement.WriteTo(json);
                return;
            }
            catch (InvalidProtocolBufferException e)
            {
                json.WriteString("decode_error", e.Message);
            }
        }
        json.WriteString("value_base64", Convert.ToBase64String(value ?? []));
    }
}
