using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// The idempotent producer (acks=all), one per process: register it as a singleton. A fatal producer
/// error (idempotence can no longer be guaranteed) stops the host, because continuing could reorder
/// or duplicate records.
/// </summary>
public sealed class KafkaProducer : IKafkaProducer, IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly KafkaInstruments _instruments;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private int _disposed;

    /// <summary>Builds the producer.</summary>
    public KafkaProducer(KafkaConnection connection, KafkaInstruments instruments, ILogger<KafkaProducer>? logger = null, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _lifetime = lifetime;
        _producer = new ProducerBuilder<byte[], byte[]>(connection.ProducerConfig())
            .SetErrorHandler(OnError)
            .SetLogHandler((_, m) => KafkaLog.Librdkafka(_logger, m))
            .Build();
    }

    /// <summary>The underlying client handle, for dependent clients (metadata).</summary>
    public Handle Handle => _producer.Handle;

    /// <inheritdoc />
    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, string key, IMessage value, Headers? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return ProduceRawAsync(topic, Encoding.UTF8.GetBytes(key), value.ToByteArray(), headers, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<DeliveryResult<byte[], byte[]>> ProduceRawAsync(string topic, byte[]? key, byte[]? value, Headers? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        using var activity = KafkaTracing.StartProduce(topic);
        var sent = new Headers();
        if (headers is not null)
        {
            foreach (var h in headers)
            {
                sent.Add(h.Key, h.GetValueBytes());
            }
        }
        // Without a listener there is no produce span; the caller's span (if any) is still the parent to carry.
        KafkaTracing.Inject(activity ?? Activity.Current, sent);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = key!, Value = value!, Headers = sent }, cancellationToken).ConfigureAwait(false);
            _instruments.RecordProduced(topic, true, Stopwatch.GetElapsedTime(started).TotalSeconds);
            activity?.SetTag("messaging.kafka.partition", result.Partition.Value);
            activity?.SetTag("messaging.kafka.offset", result.Offset.Value);
            return result;
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            _instruments.RecordProduced(topic, false, Stopwatch.GetElapsedTime(started).TotalSeconds);
            activity?.SetStatus(ActivityStatusCode.Error, e.Error.Reason);
            throw;
        }
    }

    /// <inheritdoc />
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    /// <summary>Flushes outstanding records (up to 10 s) and releases the client.</summary>
    public void Dispose()
    {
        // The container may dispose it twice (registered as itself and as IKafkaProducer).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private void OnError(IProducer<byte[], byte[]> producer, Error error)
    {
        _instruments.ClientError("producer", error.IsFatal);
        if (error.IsFatal)
        {
            KafkaLog.FatalError(_logger, "producer", error.Code, error.Reason);
            _lifetime?.StopApplication();
            return;
        }
        KafkaLog.ClientError(_logger, "producer", error.Code, error.Reason);
    }
}
