using System.Collections.Concurrent;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using Confluent.Kafka;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>Reads the scorer's output topics (and the DLQ) from the beginning on a background thread, without committing.</summary>
public sealed class TopicCollector : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly TopicNames _topics;

    public TopicCollector(KafkaConnection connection)
    {
        _topics = connection.Topics;
        var config = connection.ReaderConfig();
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        _consumer.Subscribe([_topics.Scored, _topics.Pairs, _topics.DeadLetter]);
        _thread = new Thread(Run) { IsBackground = true, Name = "topic-collector" };
        _thread.Start();
    }

    public ConcurrentQueue<ScoredSet> Scored { get; } = new();

    public ConcurrentQueue<PreferencePair> Pairs { get; } = new();

    /// <summary>Dead letters: reason header and the original bytes.</summary>
    public ConcurrentQueue<(string Reason, byte[] Value)> DeadLetters { get; } = new();

    public string Describe() => $"scored {Scored.Count}, pairs {Pairs.Count}, dlq {DeadLetters.Count}";

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? r;
            try
            {
                r = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException)
            {
                continue;
            }
            if (r?.Message is null)
            {
                continue;
            }
            if (r.Topic == _topics.Scored)
            {
                Scored.Enqueue(ScoredSet.Parser.ParseFrom(r.Message.Value));
            }
            else if (r.Topic == _topics.Pairs)
            {
                Pairs.Enqueue(PreferencePair.Parser.ParseFrom(r.Message.Value));
            }
            else
            {
                var reason = r.Message.Headers.TryGetLastBytes(KafkaHeaderNames.Reason, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "";
                DeadLetters.Enqueue((reason, r.Message.Value));
            }
        }
    }
}
