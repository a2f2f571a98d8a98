using System.Globalization;
using System.Text;
using System.Text.Json;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align prompts push --file F.jsonl`: one JSON object per line with `text`, `task`, optional
/// `metadata` (object of strings) and optional `prompt_id` (else a deterministic id from the content
/// and line number). Bad lines are reported with their number and reason and skipped; exit 1 if any failed.
/// </summary>
public sealed class PromptsCommand : ICommand
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly HashSet<string> KnownFields = ["text", "task", "metadata", "prompt_id"];

    /// <inheritdoc />
    public string Name => "prompts";

    /// <inheritdoc />
    public string Summary => "prompts push --file F.jsonl [--bootstrap B] [--max-chars N] [--experiment NAME]";

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Positional.Count == 0 || args.Positional[0] != "push")
        {
            throw new UsageException("expected `prompts push --file F.jsonl`");
        }
        var file = args.Required("file", "a JSON-lines file of prompts");
        var maxChars = args.Int("max-chars", 32_768);
        var experiment = args.String("experiment") ?? "";
        var connection = TopicsCommand.Connect(args);
        TopicsCommand.RejectUnknown(args);
        if (maxChars < 1)
        {
            throw new UsageException("--max-chars must be at least 1");
        }
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"align prompts: file not found: {file}").ConfigureAwait(false);
            return 1;
        }

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var instruments = new KafkaInstruments(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var producer = new KafkaProducer(connection, instruments);
        var topic = connection.Topics.Prompts;
        // Fail fast with one message when the cluster is unreachable, instead of every line timing out.
        var reachable = TopicsCommand.GuardUnreachable("prompts", () =>
        {
            using var admin = new Confluent.Kafka.DependentAdminClientBuilder(producer.Handle).Build();
            var topicError = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Error;
            if (topicError.IsError)
            {
                Console.Error.WriteLine($"align prompts: topic {topic} is not available on {connection.BootstrapServers}: {topicError.Reason}");
                return 1;
            }
            return 0;
        });
        if (reachable != 0)
        {
            return reachable;
        }
        var failed = 0;
        var sends = new List<(long Line, Task Send)>();
        var lineNumber = 0L;
        foreach (var raw in ReadLines(file))
        {
            lineNumber++;
            if (IsBlank(raw))
            {
                continue;
            }
            if (!TryParse(raw, lineNumber, maxChars, experiment, out var prompt, out var reason))
            {
                failed++;
                await Console.Error.WriteLineAsync($"{file}:{lineNumber}: {reason}").ConfigureAwait(false);
                continue;
            }
            sends.Add((lineNumber, producer.ProduceAsync(topic, prompt.PromptId, prompt, cancellationToken: cancellationToken)));
        }
        var pushed = 0;
        foreach (var (line, send) in sends)
        {
            try
            {
                await send.ConfigureAwait(false);
                pushed++;
            }
            catch (Confluent.Kafka.ProduceException<byte[], byte[]> e)
            {
                failed++;
                await Console.Error.WriteLineAsync($"{file}:{line}: not acknowledged by {connection.BootstrapServers}: {e.Error.Reason}").ConfigureAwait(false);
            }
        }
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"pushed {pushed} prompt(s) to {topic}; {failed} line(s) failed")).ConfigureAwait(false);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Splits on '\n' keeping raw bytes, so invalid UTF-8 is reported per line instead of silently replaced.</summary>
    private static IEnumerable<byte[]> ReadLines(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                if (i == bytes.Length && start == i)
                {
                    yield break;
                }
                var end = i > start && bytes[i - 1] == (byte)'\r' ? i - 1 : i;
                yield return bytes[start..end];
                start = i + 1;
            }
        }
    }

    private static bool IsBlank(byte[] line) => line.All(b => b is (byte)' ' or (byte)'\t');

    private static bool TryParse(byte[] raw, long lineNumber, int maxChars, string experiment, out Prompt prompt, out string reason)
    {
        prompt = null!;
        string text;
        try
        {
            text = StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            reason = "invalid UTF-8";
            return false;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            reason = $"not valid JSON: {e.Message}";
            return false;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "expected a JSON object with \"text\" and \"task\"";
                return false;
            }
            var unknown = root.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => !KnownFields.Contains(n));
            if (unknown is not null)
            {
                reason = $"unknown field \"{unknown}\" (allowed: text, task, metadata, prompt_id)";
                return false;
            }
            if (!TryString(root, "text", out var body) || string.IsNullOrWhiteSpace(body))
            {
                reason = "\"text\" must be a non-empty string";
                return false;
            }
            if (body.Length > maxChars)
            {
                reason = $"\"text\" has {body.Length} characters, more than --max-chars {maxChars}";
                return false;
            }
            if (!TryString(root, "task", out var task) || string.IsNullOrWhiteSpace(task))
            {
                reason = "\"task\" must be a non-empty string";
                return false;
            }
            string? id = null;
            if (root.TryGetProperty("prompt_id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
            {
                if (idElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(idElement.GetString()))
                {
                    reason = "\"prompt_id\" must be a non-empty string when given";
                    return false;
                }
                id = idElement.GetString();
            }
            prompt = new Prompt
            {
                SchemaVersion = RecordSchema.Version,
                PromptId = id ?? RecordIds.PromptId(task, body, lineNumber),
                Task = task,
                Text = body,
                Experiment = experiment,
                CreatedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind != JsonValueKind.Null)
            {
                if (metadata.ValueKind != JsonValueKind.Object)
                {
                    reason = "\"metadata\" must be an object of strings";
                    return false;
                }
                foreach (var entry in metadata.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String)
                    {
                        reason = $"\"metadata\".\"{entry.Name}\" must be a string";
                        return false;
                    }
                    prompt.Metadata[entry.Name] = entry.Value.GetString()!;
                }
            }
        }
        reason = "";
        return true;
    }

    private static bool TryString(JsonElement root, string name, out string value)
    {
        value = "";
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        value = element.GetString()!;
        return true;
    }
}
