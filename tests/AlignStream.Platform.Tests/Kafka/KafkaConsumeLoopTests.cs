using System.Diagnostics;
using System.Text;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Tests.Fixtures;
using Confluent.Kafka;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>
/// Integration: the consume loop in this process against `align broker` in another. Offsets survive a
/// restart, poison records land in the DLQ with their reason while the loop goes on, batches isolate
/// bad records, and the trace context crosses the topic.
/// </summary>
[Collection(KafkaBrokerCollection.Name)]
public sealed class KafkaConsumeLoopTests(KafkaBrokerFixture broker)
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Offsets_survive_a_consumer_restart_with_nothing_lost_or_redelivered()
    {
        var connection = broker.NewConnection(out var topics);
        using var producer = new KafkaProducer(connection, broker.Instruments);
        var ids = Enumerable.Range(0, 40).Select(i => $"p{i:D2}").ToArray();
        await Task.WhenAll(ids.Select(id => producer.ProduceAsync(topics.Prompts, id, NewPrompt(id))));
        var loop = new KafkaConsumerLoopOptions { Stage = "restart", GroupId = "g-" + Guid.NewGuid().ToString("N"), Topics = [topics.Prompts] };

        // First consumer: completes 15 records, then its handler blocks until shutdown, so the 16th is never stored.
        var started = 0;
        var first = new RecordingHandler(async (_, _, ct) =>
        {
            if (Interlocked.Increment(ref started) > 15)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        });
        var loop1 = KafkaConsumeLoop<Prompt>.ForRecords(loop, first, connection, producer, broker.Instruments);
        await loop1.StartAsync(CancellationToken.None);
        await Eventually.WaitAsync(() => first.Completed.Count >= 15 && Volatile.Read(ref started) > 15, Phase,
            "first consumer handles 15 records", () => $"completed {first.Completed.Count}, started {started}");
        await loop1.StopAsync(CancellationToken.None); // Close() commits the stored offsets
        loop1.Dispose();
        Assert.Equal(15, first.Completed.Count);

        // Second consumer, same group: resumes after the last stored offset.
        var second = new RecordingHandler();
        using var loop2 = KafkaConsumeLoop<Prompt>.ForRecords(loop, second, connection, producer, broker.Instruments);
        await loop2.StartAsync(CancellationToken.None);
        await Eventually.WaitAsync(() => first.Completed.Union(second.Completed).Distinct().Count() == ids.Length, Phase,
            "second consumer handles the rest", () => $"first {first.Completed.Count}, second {second.Completed.Count}");
        await loop2.StopAsync(CancellationToken.None);

        Assert.Empty(first.Completed.Intersect(second.Completed));
        Assert.Equal(ids.Length - 15, second.Completed.Count);
        Assert.Equal(ids.Order(), first.Completed.Concat(second.Completed).Order());
    }

    [Fact]
    public async Task A_poison_record_lands_in_the_dlq_with_its_reason_and_the_loop_goes_on()
    {
        var connection = broker.NewConnection(out var topics);
        using var producer = new KafkaProducer(connection, broker.Instruments);
        using var listener = ListenToKafkaActivities();
        using var testActivity = new ActivitySource("AlignStream.Tests").StartActivity("push");
        Assert.NotNull(testActivity);

        // One key, so one partition and a fixed order: good, garbage, permanent failure, transient failure, good.
        const string key = "same-key";
        var garbage = Encoding.ASCII.GetBytes("\u0007garbage, not a protobuf");
        await producer.ProduceAsync(topics.Prompts, key, NewPrompt("good-1"));
        var poison = await producer.ProduceRawAsync(topics.Prompts, Encoding.UTF8.GetBytes(key), garbage);
        await producer.ProduceAsync(topics.Prompts, key, NewPrompt("bad-forever"));
        await producer.ProduceAsync(topics.Prompts, key, NewPrompt("flaky-once"));
        await producer.ProduceAsync(topics.Prompts, key, NewPrompt("good-2"));
        testActivity.Stop();

        var handler = new RecordingHandler((record, attempt, _) => record.Value.PromptId switch
        {
            "bad-forever" => throw new PermanentRecordException("prompt violates the task schema"),
            "flaky-once" when attempt == 1 => throw new TimeoutException("downstream busy"),
            _ => Task.CompletedTask,
        });
        var loop = new KafkaConsumerLoopOptions { Stage = "dlq-test", GroupId = "g-" + Guid.NewGuid().ToString("N"), Topics = [topics.Prompts] };
        using (var consumeLoop = KafkaConsumeLoop<Prompt>.ForRecords(loop, handler, connection, producer, broker.Instruments))
        {
            await consumeLoop.StartAsync(CancellationToken.None);
            await Eventually.WaitAsync(() => handler.Completed.Contains("good-2"), Phase, "loop reaches the record after the poison ones",
                () => $"completed [{string.Join(",", handler.Completed)}]");
            await consumeLoop.StopAsync(CancellationToken.None);
            Assert.Equal(5, consumeLoop.ProcessedCount);
        }

        Assert.Equal(["good-1", "flaky-once", "good-2"], handler.Completed.ToArray());
        Assert.Equal(2, handler.AttemptsFor("flaky-once"));
        Assert.Equal(1, handler.AttemptsFor("bad-forever")); // permanent: never retried

        var dead = await TopicReader.ReadAsync(connection, topics.DeadLetter, 2, Phase, "reading the dead-letter topic");
        Assert.Equal(2, dead.Count);
        var decode = dead[0].Message;
        Assert.Equal(garbage, decode.Value);
        Assert.Equal(key, Encoding.UTF8.GetString(decode.Key));
        Assert.Equal(topics.Prompts, decode.Headers.GetString(KafkaHeaderNames.SourceTopic));
        Assert.Equal(poison.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), decode.Headers.GetString(KafkaHeaderNames.SourcePartition));
        Assert.Equal(poison.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), decode.Headers.GetString(KafkaHeaderNames.SourceOffset));
        Assert.Equal("dlq-test", decode.Headers.GetString(KafkaHeaderNames.Stage));
        Assert.Equal(DeadLetterWriter.DecodeKind, decode.Headers.GetString(KafkaHeaderNames.ReasonKind));
        Assert.Contains("not a valid Prompt protobuf", decode.Headers.GetString(KafkaHeaderNames.Reason), StringComparison.Ordinal);

        var permanent = dead[1].Message;
        Assert.Equal(DeadLetterWriter.PermanentKind, permanent.Headers.GetString(KafkaHeaderNames.ReasonKind));
        Assert.Equal("prompt violates the task schema", permanent.Headers.GetString(KafkaHeaderNames.Reason));
        Assert.Equal("bad-forever", Prompt.Parser.ParseFrom(permanent.Value).PromptId);
        Assert.Equal(typeof(PermanentRecordException).FullName, permanent.Headers.GetString(KafkaHeaderNames.ErrorType));

        // The producer wrote the caller's trace into traceparent, and the handler ran inside that trace.
        var parent = KafkaTracing.Extract(dead[1].Message.Headers);
        Assert.Equal(testActivity.TraceId, parent.TraceId);
        Assert.Equal(testActivity.TraceId.ToString(), handler.TraceIds["good-1"]);
    }

    [Fact]
    public async Task A_failing_batch_is_split_so_only_its_bad_records_are_dead_lettered()
    {
        var connection = broker.NewConnection(out var topics, o => o.MaxHandlerAttempts = 3);
        using var metrics = new KafkaMetricsCapture();
        using var producer = new KafkaProducer(connection, metrics.Instruments);
        var ids = new[] { "b0", "b1", "bad-permanent", "b3", "bad-transient", "b5" };
        foreach (var id in ids)
        {
            await producer.ProduceAsync(topics.Prompts, "one-key", NewPrompt(id));
        }
        var handler = new RecordingHandler((record, _, _) => record.Value.PromptId switch
        {
            "bad-permanent" => throw new PermanentRecordException("never valid"),
            "bad-transient" => throw new InvalidOperationException("still failing"),
            _ => Task.CompletedTask,
        });
        var loop = new KafkaConsumerLoopOptions
        {
            Stage = "batch-test",
            GroupId = "g-" + Guid.NewGuid().ToString("N"),
            Topics = [topics.Prompts],
            MaxBatchSize = 16,
            MaxBatchWait = TimeSpan.FromMilliseconds(200),
        };
        using (var consumeLoop = KafkaConsumeLoop<Prompt>.ForBatches(loop, handler, connection, producer, metrics.Instruments))
        {
            await consumeLoop.StartAsync(CancellationToken.None);
            await Eventually.WaitAsync(() => consumeLoop.ProcessedCount == ids.Length, Phase, "batch loop stores every offset",
                () => $"processed {consumeLoop.ProcessedCount}, completed [{string.Join(",", handler.Completed)}]");
            // The lag gauge is refreshed from the loop about once a second: all caught up means 0 on the partition.
            await Eventually.WaitAsync(() => metrics.Gauges("align_kafka_consumer_lag_records", "stage=batch-test", $"topic={topics.Prompts}") is { Count: 1 } g && g.Values.Single() == 0,
                Phase, "lag gauge reports the caught-up partition", () => string.Join(";", metrics.Gauges("align_kafka_consumer_lag_records")));
            await consumeLoop.StopAsync(CancellationToken.None);
        }

        // 6 source records + 2 dead letters produced; 6 consumed; 2 dead-lettered by kind; 2 retries of the transient one.
        Assert.Equal(6, metrics.Sum("align_kafka_records_produced", $"topic={topics.Prompts}", "outcome=ok"));
        Assert.Equal(2, metrics.Sum("align_kafka_records_produced", $"topic={topics.DeadLetter}", "outcome=ok"));
        Assert.Equal(6, metrics.Count("align_kafka_produce_duration", $"topic={topics.Prompts}"));
        Assert.Equal(6, metrics.Sum("align_kafka_records_consumed", "stage=batch-test"));
        Assert.Equal(1, metrics.Sum("align_kafka_dlq_records", "reason_kind=permanent"));
        Assert.Equal(1, metrics.Sum("align_kafka_dlq_records", "reason_kind=attempts-exhausted"));
        Assert.True(metrics.Sum("align_kafka_handler_retries", "stage=batch-test") >= 2, "the transient record is retried twice before dead-lettering");
        Assert.True(metrics.Sum("align_kafka_rebalance_partitions", "change=assigned") >= 1);

        Assert.Equal(["b0", "b1", "b3", "b5"], handler.Completed.Distinct().Order());
        var dead = await TopicReader.ReadAsync(connection, topics.DeadLetter, 2, Phase, "reading the dead-letter topic");
        var byId = dead.ToDictionary(d => Prompt.Parser.ParseFrom(d.Message.Value).PromptId, d => d.Message.Headers);
        Assert.Equal(DeadLetterWriter.PermanentKind, byId["bad-permanent"].GetString(KafkaHeaderNames.ReasonKind));
        Assert.Equal(DeadLetterWriter.ExhaustedKind, byId["bad-transient"].GetString(KafkaHeaderNames.ReasonKind));
        Assert.Equal("3", byId["bad-transient"].GetString(KafkaHeaderNames.Attempts));
        Assert.Equal("InvalidOperationException: still failing", byId["bad-transient"].GetString(KafkaHeaderNames.Reason));
    }

    [Fact]
    public async Task Two_members_of_a_group_share_the_partitions_and_together_miss_nothing()
    {
        var connection = broker.NewConnection(out var topics);
        using var producer = new KafkaProducer(connection, broker.Instruments);
        var loop = new KafkaConsumerLoopOptions { Stage = "share", GroupId = "g-" + Guid.NewGuid().ToString("N"), Topics = [topics.Prompts] };
        var firstIds = Enumerable.Range(0, 40).Select(i => $"a{i:D2}").ToArray();
        await Task.WhenAll(firstIds.Select(id => producer.ProduceAsync(topics.Prompts, id, NewPrompt(id))));

        var a = new RecordingHandler();
        var b = new RecordingHandler();
        using var loopA = KafkaConsumeLoop<Prompt>.ForRecords(loop, a, connection, producer, broker.Instruments);
        using var loopB = KafkaConsumeLoop<Prompt>.ForRecords(loop, b, connection, producer, broker.Instruments);
        await loopA.StartAsync(CancellationToken.None);
        await Eventually.WaitAsync(() => a.Completed.Count == firstIds.Length, Phase, "first member drains the topic", () => $"{a.Completed.Count} done");

        // A second member joins: cooperative-sticky moves some partitions to it without stopping the first.
        await loopB.StartAsync(CancellationToken.None);
        var secondIds = Enumerable.Range(0, 200).Select(i => $"b{i:D3}").ToArray();
        await Eventually.WaitAsync(async () =>
        {
            // Keep producing fresh records until the new member has taken some: proof that it owns partitions.
            if (b.Completed.IsEmpty)
            {
                var next = $"c{Guid.NewGuid():N}";
                await producer.ProduceAsync(topics.Prompts, next, NewPrompt(next));
                return false;
            }
            return true;
        }, Phase, "second member gets partitions", () => $"a {a.Completed.Count}, b {b.Completed.Count}");
        await Task.WhenAll(secondIds.Select(id => producer.ProduceAsync(topics.Prompts, id, NewPrompt(id))));
        await Eventually.WaitAsync(() => secondIds.All(id => a.Completed.Contains(id) || b.Completed.Contains(id)), Phase,
            "the two members handle every later record", () => $"a {a.Completed.Count}, b {b.Completed.Count}");
        await loopA.StopAsync(CancellationToken.None);
        await loopB.StopAsync(CancellationToken.None);

        Assert.Null(loopA.FatalError);
        Assert.Null(loopB.FatalError);
        Assert.All(firstIds, id => Assert.Contains(id, a.Completed));
        // Partitions are disjoint, so a record is only handled twice if a rebalance revoked it before its offset was committed.
        var both = a.Completed.Intersect(b.Completed).Where(id => id.StartsWith('b')).ToArray();
        Assert.True(both.Length < secondIds.Length / 2, $"most later records are handled once; handled by both: {both.Length}");
    }

    internal static Prompt NewPrompt(string id) => new()
    {
        SchemaVersion = RecordSchema.Version,
        PromptId = id,
        Task = "chat",
        Text = "text of " + id,
        CreatedAtUnixMs = 1_700_000_000_000,
    };

    private static ActivityListener ListenToKafkaActivities()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is KafkaTracing.SourceName or "AlignStream.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
