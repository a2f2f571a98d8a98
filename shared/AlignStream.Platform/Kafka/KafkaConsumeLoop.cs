using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// A consume loop hosted as a <see cref="BackgroundService"/> on its own long-running thread.
/// At least once: a record's offset is stored only after its handler completed, which a handler does
/// after its outputs were acknowledged; librdkafka's auto-commit then commits stored offsets, and
/// <c>Close()</c> on shutdown commits the last ones. Undecodable records, records the handler calls
/// permanently bad, and records whose transient errors outlast the retries go to the dead-letter
/// topic, and the loop goes on. Only a fatal client error ends it, and then it stops the host.
/// </summary>
/// <typeparam name="T">The protobuf record type on the topics.</typeparam>
public sealed class KafkaConsumeLoop<T> : BackgroundService
    where T : class, IMessage<T>, new()
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagRefresh = TimeSpan.FromSeconds(1);

    private readonly KafkaConsumerLoopOptions _loop;
    private readonly KafkaConnection _connection;
    private readonly KafkaInstruments _instruments;
    private readonly DeadLetterWriter _deadLetters;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly Func<IReadOnlyList<ConsumedRecord<T>>, CancellationToken, Task> _handle;
    private readonly bool _batchMode;
    private readonly ConcurrentDictionary<TopicPartition, long> _lag = new();
    private readonly List<ConsumeResult<byte[], byte[]>> _pending = [];
    private IConsumer<byte[], byte[]>? _consumer;
    private CancellationToken _stopping;
    private volatile Error? _fatal;
    private long _processed;

    private KafkaConsumeLoop(KafkaConsumerLoopOptions loop, KafkaConnection connection, IKafkaProducer producer, KafkaInstruments instruments,
        ILogger? logger, IHostApplicationLifetime? lifetime, Func<IReadOnlyList<ConsumedRecord<T>>, CancellationToken, Task> handle, bool batchMode)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var errors = loop.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(loop));
        }
        _loop = loop;
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _deadLetters = new DeadLetterWriter(producer, connection.Topics.DeadLetter);
        _logger = logger ?? NullLogger.Instance;
        _lifetime = lifetime;
        _handle = handle;
        _batchMode = batchMode;
    }

    /// <summary>A loop that hands records to <paramref name="handler"/> one at a time.</summary>
    public static KafkaConsumeLoop<T> ForRecords(KafkaConsumerLoopOptions loop, IRecordHandler<T> handler, KafkaConnection connection, IKafkaProducer producer,
        KafkaInstruments instruments, ILogger? logger = null, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(loop);
        var single = new KafkaConsumerLoopOptions
        {
            Stage = loop.Stage,
            GroupId = loop.GroupId,
            Topics = loop.Topics,
            MaxBatchSize = 1,
            MaxBatchWait = TimeSpan.Zero,
            AutoOffsetReset = loop.AutoOffsetReset,
        };
        return new(single, connection, producer, instruments, logger, lifetime, (records, ct) => handler.HandleAsync(records[0], ct), batchMode: false);
    }

    /// <summary>A loop that hands records to <paramref name="handler"/> in batches of up to MaxBatchSize or MaxBatchWait.</summary>
    public static KafkaConsumeLoop<T> ForBatches(KafkaConsumerLoopOptions loop, IBatchRecordHandler<T> handler, KafkaConnection connection, IKafkaProducer producer,
        KafkaInstruments instruments, ILogger? logger = null, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new(loop, connection, producer, instruments, logger, lifetime, handler.HandleBatchAsync, batchMode: true);
    }

    /// <summary>The stage name.</summary>
    public string Stage => _loop.Stage;

    /// <summary>Records whose offsets were stored (handled or dead-lettered) since start.</summary>
    public long ProcessedCount => Interlocked.Read(ref _processed);

    /// <summary>The fatal error that ended the loop, if any.</summary>
    public Error? FatalError => _fatal;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Consume() blocks: give the loop its own thread instead of a thread-pool worker.
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        Thread.CurrentThread.Name = "consume-" + _loop.Stage;
        using var lagRegistration = _instruments.AddLagSource(ObserveLag);
        var consumer = new ConsumerBuilder<byte[], byte[]>(_connection.ConsumerConfig(_loop.GroupId, _loop.AutoOffsetReset))
            .SetErrorHandler(OnError)
            .SetLogHandler((_, m) => KafkaLog.Librdkafka(_logger, m))
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .SetOffsetsCommittedHandler(OnCommitted)
            .Build();
        _consumer = consumer;
        try
        {
            consumer.Subscribe(_loop.Topics);
            KafkaLog.LoopStarted(_logger, _loop.Stage, string.Join(",", _loop.Topics), _loop.GroupId);
            var batchStarted = 0L;
            var lagRefreshed = Stopwatch.GetTimestamp();
            while (!stoppingToken.IsCancellationRequested && _fatal is null)
            {
                var timeout = _pending.Count == 0 ? IdlePoll : Remaining(batchStarted);
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(timeout);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    KafkaLog.ConsumeError(_logger, _loop.Stage, e.Error.Code, e.Error.Reason);
                    continue;
                }
                catch (KafkaException e) when (e.Error.IsFatal)
                {
                    _fatal = e.Error;
                    break;
                }
                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    if (_pending.Count == 0)
                    {
                        batchStarted = Stopwatch.GetTimestamp();
                    }
                    _pending.Add(result);
                    _instruments.RecordConsumed(_loop.Stage, result.Topic);
                }
                if (_pending.Count > 0 && (_pending.Count >= _loop.MaxBatchSize || Remaining(batchStarted) <= TimeSpan.Zero))
                {
                    ProcessPending();
                }
                if (Stopwatch.GetElapsedTime(lagRefreshed) >= LagRefresh)
                {
                    RefreshLag(consumer);
                    lagRefreshed = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown while a handler ran: its record's offset was not stored, so it is redelivered.
        }
        finally
        {
            _consumer = null;
            Close(consumer);
        }
        if (_fatal is { } fatal)
        {
            KafkaLog.FatalError(_logger, "consumer " + _loop.Stage, fatal.Code, fatal.Reason);
            _lifetime?.StopApplication();
            throw new KafkaException(fatal);
        }
    }

    private TimeSpan Remaining(long batchStarted)
    {
        var left = _loop.MaxBatchWait - Stopwatch.GetElapsedTime(batchStarted);
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    private void Close(IConsumer<byte[], byte[]> consumer)
    {
        try
        {
            // Commits the stored offsets and leaves the group so the partitions move without waiting for the session timeout.
            consumer.Close();
        }
        catch (KafkaException e)
        {
            KafkaLog.CloseFailed(_logger, _loop.Stage, e.Error.Reason);
        }
        finally
        {
            consumer.Dispose();
        }
        KafkaLog.LoopStopped(_logger, _loop.Stage);
    }

    /// <summary>Handles the pending records, dead-letters failures, then stores offsets per partition.</summary>
    private void ProcessPending()
    {
        var batch = _pending.ToArray();
        _pending.Clear();
        var decoded = new List<(ConsumeResult<byte[], byte[]> Source, ConsumedRecord<T> Record)>(batch.Length);
        foreach (var source in batch)
        {
            if (ProtobufRecordCodec<T>.Instance.TryDecode(source.Message.Value, out var value, out var reason))
            {
                var key = source.Message.Key is null ? null : Encoding.UTF8.GetString(source.Message.Key);
                decoded.Add((source, new ConsumedRecord<T>(source.Topic, source.Partition.Value, source.Offset.Value, key, value,
                    source.Message.Value, source.Message.Headers ?? [], source.Message.Timestamp.UtcDateTime)));
            }
            else
            {
                DeadLetter(source, DeadLetterWriter.DecodeKind, reason, null, 0);
            }
        }
        if (decoded.Count > 0)
        {
            var (failure, attempts) = Attempt(decoded);
            if (failure is not null)
            {
                if (decoded.Count == 1)
                {
                    DeadLetterFailure(decoded[0].Source, failure, attempts);
                }
                else
                {
                    // Isolate the bad records: one at a time, so the good ones of the batch still go through.
                    foreach (var one in decoded)
                    {
                        var (error, tries) = Attempt([one]);
                        if (error is not null)
                        {
                            DeadLetterFailure(one.Source, error, tries);
                        }
                    }
                }
            }
        }
        StoreOffsets(batch);
    }

    /// <summary>Runs the handler with retries; returns the last error (null on success) and the attempts made.</summary>
    private (Exception? Error, int Attempts) Attempt(IReadOnlyList<(ConsumeResult<byte[], byte[]> Source, ConsumedRecord<T> Record)> items)
    {
        var maxAttempts = _connection.Options.MaxHandlerAttempts;
        var records = items.Select(i => i.Record).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            _stopping.ThrowIfCancellationRequested();
            var first = items[0].Source;
            var links = items.Count > 1 && KafkaTracing.Source.HasListeners() ? KafkaTracing.LinksOf(items.Skip(1).Select(i => i.Source.Message.Headers)) : null;
            using var activity = KafkaTracing.StartProcess(_loop.Stage, first.Topic, first.Partition.Value, first.Offset.Value, first.Message.Headers, links);
            var started = Stopwatch.GetTimestamp();
            try
            {
                // The loop thread is dedicated, so blocking on the handler's task is the intended back-pressure.
                _handle(records, _stopping).GetAwaiter().GetResult();
                _instruments.HandlerCompleted(_loop.Stage, _batchMode, Stopwatch.GetElapsedTime(started).TotalSeconds);
                return (null, attempt);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw;
            }
            catch (PermanentRecordException e)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                return (e, attempt);
            }
#pragma warning disable CA1031 // A handler's failure must never end the loop: it is retried, then dead-lettered.
            catch (Exception e)
#pragma warning restore CA1031
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                if (attempt >= maxAttempts)
                {
                    return (e, attempt);
                }
                _instruments.HandlerRetried(_loop.Stage);
                KafkaLog.HandlerRetry(_logger, _loop.Stage, attempt, maxAttempts, e);
                var backoff = TimeSpan.FromMilliseconds(_connection.Options.RetryBackoffMs * Math.Pow(2, attempt - 1));
                if (backoff > TimeSpan.Zero && _stopping.WaitHandle.WaitOne(backoff))
                {
                    _stopping.ThrowIfCancellationRequested();
                }
            }
        }
    }

    private void DeadLetterFailure(ConsumeResult<byte[], byte[]> source, Exception error, int attempts)
    {
        var kind = error is PermanentRecordException ? DeadLetterWriter.PermanentKind : DeadLetterWriter.ExhaustedKind;
        var reason = error is PermanentRecordException ? error.Message : $"{error.GetType().Name}: {error.Message}";
        DeadLetter(source, kind, reason, error, attempts);
    }

    private void DeadLetter(ConsumeResult<byte[], byte[]> source, string kind, string reason, Exception? error, int attempts)
    {
        if (!_connection.Options.DeadLetterEnabled)
        {
            KafkaLog.SkippedWithoutDeadLetter(_logger, _loop.Stage, source.Topic, source.Partition.Value, source.Offset.Value, reason);
            return;
        }
        // The dead letter stays in the record's trace (without a listener the copied traceparent is kept as is).
        using var activity = KafkaTracing.StartProcess(_loop.Stage, source.Topic, source.Partition.Value, source.Offset.Value, source.Message.Headers);
        activity?.SetStatus(ActivityStatusCode.Error, reason);
        // Storing the offset of a record we failed to dead-letter would lose it: retry until it lands or the host stops.
        for (var attempt = 0; ; attempt++)
        {
            _stopping.ThrowIfCancellationRequested();
            try
            {
                _deadLetters.WriteAsync(source, _loop.Stage, kind, reason, error, attempts, _stopping).GetAwaiter().GetResult();
                break;
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                KafkaLog.DeadLetterWriteFailed(_logger, _loop.Stage, e);
                if (_stopping.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(5000, 100 << Math.Min(attempt, 6)))))
                {
                    _stopping.ThrowIfCancellationRequested();
                }
            }
        }
        _instruments.RecordDeadLettered(_loop.Stage, source.Topic, kind);
        KafkaLog.DeadLettered(_logger, _loop.Stage, source.Topic, source.Partition.Value, source.Offset.Value, kind, reason);
    }

    private void StoreOffsets(IReadOnlyList<ConsumeResult<byte[], byte[]>> batch)
    {
        var consumer = _consumer;
        if (consumer is null)
        {
            return;
        }
        foreach (var group in batch.GroupBy(r => r.TopicPartition))
        {
            var next = group.Max(r => r.Offset.Value) + 1;
            try
            {
                // The committed offset is the next record to read.
                consumer.StoreOffset(new TopicPartitionOffset(group.Key, new Offset(next)));
                Interlocked.Add(ref _processed, group.Count());
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                // The partition moved to another member during the handler: it will redeliver (at least once).
                KafkaLog.StoreSkipped(_logger, _loop.Stage, group.Key.Topic, group.Key.Partition.Value, e.Error.Reason);
            }
        }
    }

    private void OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }
        _instruments.PartitionsChanged(_loop.Stage, "assigned", partitions.Count);
        KafkaLog.PartitionsChanged(_logger, _loop.Stage, "assigned", Describe(partitions));
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }
        _instruments.PartitionsChanged(_loop.Stage, "revoked", partitions.Count);
        KafkaLog.PartitionsChanged(_logger, _loop.Stage, "revoked", Describe(partitions.Select(p => p.TopicPartition)));
        var revoked = partitions.Select(p => p.TopicPartition).ToHashSet();
        // Finish a half-filled batch while its partitions are still ours, so its offsets are stored and committed on revoke.
        // Not during Close() (consumer already detached): those records are simply redelivered.
        if (_consumer is not null && !_stopping.IsCancellationRequested && _pending.Any(r => revoked.Contains(r.TopicPartition)))
        {
            ProcessPending();
        }
        foreach (var tp in revoked)
        {
            _lag.TryRemove(tp, out _);
        }
    }

    private void OnLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        _instruments.PartitionsChanged(_loop.Stage, "lost", partitions.Count);
        KafkaLog.PartitionsChanged(_logger, _loop.Stage, "lost", Describe(partitions.Select(p => p.TopicPartition)));
        // Lost partitions may already belong to someone else: drop their pending records (they are redelivered there).
        var lost = partitions.Select(p => p.TopicPartition).ToHashSet();
        _pending.RemoveAll(r => lost.Contains(r.TopicPartition));
        foreach (var tp in lost)
        {
            _lag.TryRemove(tp, out _);
        }
    }

    private void OnCommitted(IConsumer<byte[], byte[]> consumer, CommittedOffsets committed)
    {
        var code = committed.Error.Code;
        if (code == ErrorCode.NoError)
        {
            var failed = committed.Offsets.FirstOrDefault(o => o.Error.IsError);
            code = failed?.Error.Code ?? ErrorCode.NoError;
            if (code == ErrorCode.NoError)
            {
                _instruments.OffsetsCommitted(_loop.Stage, "ok");
                return;
            }
        }
        if (code == ErrorCode.Local_NoOffset)
        {
            return; // nothing new was stored since the last commit
        }
        if (code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId or ErrorCode.Local_State)
        {
            // Expected while the group rebalances; the stored offsets stay stored and the next commit (or close) sends them.
            _instruments.OffsetsCommitted(_loop.Stage, "rebalance");
            KafkaLog.CommitDuringRebalance(_logger, _loop.Stage, code);
            return;
        }
        _instruments.OffsetsCommitted(_loop.Stage, "error");
        KafkaLog.CommitFailed(_logger, _loop.Stage, code, committed.Error.IsError ? committed.Error.Reason : code.ToString());
    }

    private void OnError(IConsumer<byte[], byte[]> consumer, Error error)
    {
        _instruments.ClientError("consumer", error.IsFatal);
        if (error.IsFatal)
        {
            _fatal = error;
            return;
        }
        KafkaLog.ClientError(_logger, "consumer " + _loop.Stage, error.Code, error.Reason);
    }

    private void RefreshLag(IConsumer<byte[], byte[]> consumer)
    {
        var assignment = consumer.Assignment;
        if (assignment.Count == 0)
        {
            return;
        }
        foreach (var tp in assignment)
        {
            // Both are local: the position is ours, the watermarks are cached from fetch responses.
            var position = consumer.Position(tp);
            var watermarks = consumer.GetWatermarkOffsets(tp);
            if (watermarks.High.IsSpecial || position.IsSpecial)
            {
                continue;
            }
            _lag[tp] = Math.Max(0, watermarks.High.Value - position.Value);
        }
    }

    private IEnumerable<Measurement<long>> ObserveLag() =>
        _lag.Select(kv => new Measurement<long>(kv.Value,
            new KeyValuePair<string, object?>("stage", _loop.Stage),
            new KeyValuePair<string, object?>("topic", kv.Key.Topic),
            new KeyValuePair<string, object?>("partition", kv.Key.Partition.Value.ToString(CultureInfo.InvariantCulture))));

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        string.Join(",", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]"));
}
