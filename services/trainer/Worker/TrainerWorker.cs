using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using AlignStream.Contracts.Events;
using AlignStream.Contracts.Records;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.State;
using AlignStream.Trainer.Checkpoints;
using AlignStream.Trainer.Metrics;
using AlignStream.Trainer.Options;
using AlignStream.Trainer.Training;
using Confluent.Kafka;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Trainer.Worker;

/// <summary>
/// The trainer loop: assigns every partition of the pairs topic itself, seeks to the offsets of its latest
/// checkpoint, and turns pairs into optimizer steps. Exactly once: a checkpoint holds the weights, optimizer, RNG,
/// trained-id window and the consumed offsets together, and is only taken when no consumed pair is pending, so
/// after a crash the records after the checkpoint's offsets are exactly the ones whose steps were lost. Kafka
/// group commits are made for monitoring only.
/// </summary>
public sealed class TrainerWorker : BackgroundService
{
    /// <summary>Stage name on dead letters and Kafka metrics.</summary>
    public const string StageName = "trainer";

    /// <summary>State-store value holding the backlog of untrained pairs.</summary>
    public const string BacklogKey = "trainer:backlog";

    private static readonly TimeSpan ShutdownPublishTimeout = TimeSpan.FromSeconds(15);

    private readonly TrainerOptions _options;
    private readonly TrainerModelOptions _model;
    private readonly KafkaConnection _connection;
    private readonly IKafkaProducer _producer;
    private readonly KafkaInstruments _kafkaInstruments;
    private readonly IStateStore _state;
    private readonly VersionPublisher _publisher;
    private readonly TrainerInstruments _instruments;
    private readonly TrainerControl _control;
    private readonly IServiceProvider _services;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILogger<TrainerWorker> _logger;
    private readonly string[] _arms;
    private readonly List<TrainingPair> _pending = [];
    private readonly HashSet<string> _pendingIds = new(StringComparer.Ordinal);
    private readonly List<LedgerEntry> _segment = [];
    private readonly Dictionary<int, long> _positions = [];
    private readonly Dictionary<int, long> _lag = [];
    private readonly Lock _lagGate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PolicyTrainer? _trainer;
    private ITokenizer? _tokenizer;
    private CheckpointStore? _checkpoints;
    private IDisposable? _lock;
    private PairIdWindow? _window;
    private DeadLetterWriter? _deadLetters;
    private long _policyVersion;
    private long _policyVersionStep;
    private long _referenceVersion;

    // The latest checkpoint written or resumed from, and the reference version it holds: while the reference stays at
    // that version, the next checkpoint links its reference files instead of writing them.
    private string? _lastCheckpoint;
    private long _lastCheckpointReferenceVersion = -1;

    // True from a per-window refresh (the reference is then a copy of the policy) until the policy trains again:
    // a checkpoint in between links the reference to the policy file it has just written.
    private bool _referenceIsPolicy;
    private long _referenceVersionStep;
    private long _windowStart;
    private int _pendingCount;

    /// <summary>Created by DI.</summary>
    public TrainerWorker(
        IOptions<TrainerOptions> options, IOptions<TrainerModelOptions> model, KafkaConnection connection, IKafkaProducer producer,
        KafkaInstruments kafkaInstruments, IStateStore state, VersionPublisher publisher, TrainerInstruments instruments, TrainerControl control,
        IConfiguration configuration, IServiceProvider services, ILogger<TrainerWorker> logger, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(configuration);
        _options = options.Value;
        _model = model.Value;
        _connection = connection;
        _producer = producer;
        _kafkaInstruments = kafkaInstruments;
        _state = state;
        _publisher = publisher;
        _instruments = instruments;
        _control = control;
        _services = services;
        _lifetime = lifetime;
        _logger = logger;
        // LASeR arms are the scorer's reward models in configuration order; the feedback names the arm by index.
        _arms = (configuration["Scorer:RewardModels"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Completes once the model is loaded and the partitions are assigned (tests wait on it).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Optimizer steps taken so far (including those restored from the checkpoint).</summary>
    public long Step => _trainer?.Step ?? 0;

    /// <summary>Latest policy version produced.</summary>
    public long PolicyVersion => Interlocked.Read(ref _policyVersion);

    /// <summary>Pairs consumed and waiting for the next step.</summary>
    public int PendingCount => Volatile.Read(ref _pendingCount);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () =>
            {
                Thread.CurrentThread.Name = "align-trainer";
                return RunAsync(stoppingToken);
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        IConsumer<byte[], byte[]>? consumer = null;
        var started = false;
        var graceful = false;
        try
        {
            await InitializeAsync(stoppingToken).ConfigureAwait(false);
            consumer = await AssignAsync(stoppingToken).ConfigureAwait(false);
            started = true;
            _ready.TrySetResult();
            using var lag = _kafkaInstruments.AddLagSource(ObserveLag);
            await LoopAsync(consumer, stoppingToken).ConfigureAwait(false);
            graceful = true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
            graceful = true;
        }
        catch (Exception ex)
        {
            TrainerLog.Failed(_logger, ex);
            _ready.TrySetException(ex);
            _lifetime?.StopApplication();
            throw;
        }
        finally
        {
            _ready.TrySetCanceled(CancellationToken.None);
            if (started && graceful)
            {
                // Graceful shutdown drains: train what was consumed, then checkpoint with the offsets.
                await ShutdownCheckpointAsync().ConfigureAwait(false);
            }
            consumer?.Close();
            consumer?.Dispose();
            _lock?.Dispose();
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        var policy = LlamaModel.Load(_model.Path, _options.Threads);
        _tokenizer = TokenizerLoader.ForModelFolder(_model.Path);
        _trainer = new PolicyTrainer(policy, _tokenizer, _options);
        _checkpoints = new CheckpointStore(_options.CheckpointDirectory, _options.KeepCheckpoints);
        _lock = _checkpoints.AcquireLock();
        _window = new PairIdWindow(_options.DedupWindow);
        _deadLetters = new DeadLetterWriter(_producer, _connection.Topics.DeadLetter);
        var stored = await _state.GetManifestAsync(ManifestKind.Policy, ct).ConfigureAwait(false);
        var latest = _checkpoints.OpenLatest();
        if (latest is null)
        {
            _policyVersion = stored?.Version ?? 0;
            _windowStart = _policyVersion;
            TrainerLog.StartedFresh(_logger, _model.Path, _policyVersion);
        }
        else
        {
            CheckpointStore.Restore(_trainer, latest);
            var s = latest.State;
            _policyVersion = s.PolicyVersion;
            _policyVersionStep = s.PolicyVersionStep;
            _referenceVersion = s.ReferenceVersion;
            _referenceVersionStep = s.ReferenceVersionStep;
            _lastCheckpoint = latest.Directory;
            _lastCheckpointReferenceVersion = s.ReferenceVersion;
            _windowStart = s.WindowStartVersion;
            _window.Load(s.TrainedPairIds);
            if (s.Topic == _connection.Topics.Pairs)
            {
                foreach (var (p, o) in s.Offsets)
                {
                    _positions[p] = o;
                }
            }
            TrainerLog.Resumed(_logger, latest.Directory, s.Step, s.PolicyVersion,
                string.Join(',', _positions.OrderBy(kv => kv.Key).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}:{kv.Value}"))));
            await FinishPublicationsAsync(latest, stored, ct).ConfigureAwait(false);
            if (stored is not null && stored.Version > _policyVersion)
            {
                TrainerLog.StoreAhead(_logger, stored.Version, _policyVersion);
                _policyVersion = stored.Version;
            }
        }
        _instruments.Versions(_policyVersion, _referenceVersion);
    }

    // A crash between writing a publish checkpoint and setting the manifest leaves the version unpublished; its
    // weights are exactly the checkpoint's, so publishing them now yields the same version N (same sha256).
    private async Task FinishPublicationsAsync(LoadedCheckpoint latest, WeightsManifest? storedPolicy, CancellationToken ct)
    {
        var s = latest.State;
        var storedVersion = storedPolicy?.Version ?? 0;
        if (s.PolicyVersion > storedVersion && s.PolicyVersionStep == s.Step && s.PolicyVersion > 0)
        {
            TrainerLog.Republishing(_logger, "policy", s.PolicyVersion, latest.Directory, storedVersion);
            await _publisher.PublishPolicyAsync(CheckpointStore.PolicyDirectory(latest.Directory), s.PolicyVersion, s.Step, ct).ConfigureAwait(false);
        }
        var storedReference = (await _state.GetManifestAsync(ManifestKind.Reference, ct).ConfigureAwait(false))?.Version ?? 0;
        if (s.ReferenceVersion > storedReference && s.ReferenceVersionStep == s.Step && s.HasReference)
        {
            TrainerLog.Republishing(_logger, "reference", s.ReferenceVersion, latest.Directory, storedReference);
            await _publisher.PublishReferenceAsync(CheckpointStore.ReferenceDirectory(latest.Directory), s.ReferenceVersion, s.Step, ct).ConfigureAwait(false);
        }
    }

    private async Task<IConsumer<byte[], byte[]>> AssignAsync(CancellationToken ct)
    {
        var config = _connection.ConsumerConfig(_options.ConsumerGroup);
        config.EnableAutoCommit = false;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => _kafkaInstruments.ClientError("consumer", e.IsFatal))
            .SetLogHandler((_, _) => { })
            .Build();
        var topic = _connection.Topics.Pairs;
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var warned = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var meta = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.FirstOrDefault(t => t.Topic == topic);
            if (meta is not null && meta.Error.Code == ErrorCode.NoError && meta.Partitions.Count > 0)
            {
                var assignment = meta.Partitions.OrderBy(p => p.PartitionId).Select(p =>
                    new TopicPartitionOffset(topic, p.PartitionId, _positions.TryGetValue(p.PartitionId, out var o) ? new Offset(o) : Offset.Beginning)).ToList();
                foreach (var tpo in assignment)
                {
                    _positions.TryAdd(tpo.Partition.Value, tpo.Offset == Offset.Beginning ? -1 : tpo.Offset.Value);
                }
                consumer.Assign(assignment);
                _kafkaInstruments.PartitionsChanged(StageName, "assigned", assignment.Count);
                return consumer;
            }
            if (!warned)
            {
                TrainerLog.WaitingForTopic(_logger, topic);
                warned = true;
            }
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(IConsumer<byte[], byte[]> consumer, CancellationToken ct)
    {
        var lastArrival = Stopwatch.StartNew();
        var lastBacklog = Stopwatch.StartNew();
        await RefreshBacklogAsync(consumer, ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            // Reported while paused too: generators throttle on it.
            if (lastBacklog.ElapsedMilliseconds >= _options.BacklogIntervalMs)
            {
                lastBacklog.Restart();
                await RefreshBacklogAsync(consumer, ct).ConfigureAwait(false);
                CommitForMonitoring(consumer);
            }
            if (_control.TakeDrainRequest() && _pending.Count > 0)
            {
                await StepAsync("drain", forceCheckpoint: true, ct).ConfigureAwait(false);
            }
            if (_control.Paused)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
                continue;
            }
            var cr = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (cr is not null && !cr.IsPartitionEOF)
            {
                _kafkaInstruments.RecordConsumed(StageName, cr.Topic);
                lastArrival.Restart();
                await HandleAsync(cr, ct).ConfigureAwait(false);
                // Advanced only once the record is settled (pending, dropped or dead-lettered and acknowledged).
                _positions[cr.Partition.Value] = cr.Offset.Value + 1;
                if (_pending.Count >= _options.BatchSize)
                {
                    await StepAsync("interval", forceCheckpoint: false, ct).ConfigureAwait(false);
                }
            }
            else if (_pending.Count > 0 && _options.MaxBatchWaitMs > 0 && lastArrival.ElapsedMilliseconds >= _options.MaxBatchWaitMs)
            {
                await StepAsync("interval", forceCheckpoint: false, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(ConsumeResult<byte[], byte[]> cr, CancellationToken ct)
    {
        if (!ProtobufRecordCodec<PreferencePair>.Instance.TryDecode(cr.Message.Value, out var record, out var reason))
        {
            await DeadLetterAsync(cr, DeadLetterWriter.DecodeKind, reason, ct).ConfigureAwait(false);
            return;
        }
        TrainingPair pair;
        try
        {
            pair = new PairDecoder(_trainer!.Policy.Config.VocabSize, _trainer.MaxSequenceLength, _options.UseTokenWeights).Decode(record);
        }
        catch (PermanentRecordException ex)
        {
            await DeadLetterAsync(cr, DeadLetterWriter.PermanentKind, ex.Message, ct).ConfigureAwait(false);
            return;
        }
        if (_window!.Contains(pair.PairId) || _pendingIds.Contains(pair.PairId))
        {
            _instruments.Duplicate();
            return;
        }
        var staleness = _policyVersion - pair.BehaviorVersion;
        _instruments.PairStaleness(Math.Max(0, staleness));
        if (staleness > _options.MaxStaleness)
        {
            if (_options.ParsedStalePolicy == StalePolicy.Drop)
            {
                _instruments.DroppedStale();
                return;
            }
            // No behavior log-probs travel with a pair, so the weight is a staleness discount rather than a
            // per-token likelihood ratio: each version past the bound multiplies it by StaleWeightDecay.
            pair = pair with { Weight = Math.Pow(_options.StaleWeightDecay, staleness - _options.MaxStaleness) };
            _instruments.ImportanceWeighted();
        }
        _pending.Add(pair);
        _pendingIds.Add(pair.PairId);
        Volatile.Write(ref _pendingCount, _pending.Count);
    }

    private async Task DeadLetterAsync(ConsumeResult<byte[], byte[]> cr, string kind, string reason, CancellationToken ct)
    {
        TrainerLog.DeadLettered(_logger, cr.Topic, cr.Partition.Value, cr.Offset.Value, reason);
        if (_connection.Options.DeadLetterEnabled)
        {
            await _deadLetters!.WriteAsync(cr, StageName, kind, reason, null, 1, ct).ConfigureAwait(false);
        }
        _kafkaInstruments.RecordDeadLettered(StageName, cr.Topic, kind);
    }

    private async Task StepAsync(string reason, bool forceCheckpoint, CancellationToken ct)
    {
        var trainer = _trainer!;
        var batch = _pending.ToList();
        var clock = Stopwatch.StartNew();
        var cpu = ThreadCpuClock.TryNow(out var started) ? started : double.NaN;
        var result = trainer.TrainStep(batch);
        _referenceIsPolicy = false;
        if (!double.IsNaN(cpu))
        {
            _instruments.EngineCpu(ThreadCpuClock.Since(cpu));
        }
        _instruments.Stepped(result, batch.Count, clock.Elapsed);
        var ids = batch.Select(p => p.PairId).ToArray();
        _segment.Add(new LedgerEntry(result.Step, ids));
        foreach (var id in ids)
        {
            _window!.Add(id);
        }
        _pending.Clear();
        _pendingIds.Clear();
        Volatile.Write(ref _pendingCount, 0);

        var step = result.Step;
        var publish = step % _options.PublishEvery == 0;
        var publishReference = false;
        if (publish)
        {
            _policyVersion++;
            _policyVersionStep = step;
            var refresh = _options.ParsedReferenceRefresh;
            if (refresh == ReferenceRefresh.PerWindow && _policyVersion - _windowStart >= _options.ReferenceWindow)
            {
                trainer.CopyPolicyToReference();
                _referenceIsPolicy = true;
                _referenceVersion = _policyVersion;
                _referenceVersionStep = step;
                _windowStart = _policyVersion;
                publishReference = true;
            }
        }
        if (_options.ParsedReferenceRefresh == ReferenceRefresh.SoftSync && step % _options.SoftSyncEvery == 0)
        {
            trainer.SoftSyncReference(_options.SoftSyncAlpha);
            _referenceIsPolicy = false;
            _referenceVersion++;
            _referenceVersionStep = step;
            publishReference = true;
        }
        if (publish || publishReference || forceCheckpoint || step % _options.CheckpointEvery == 0)
        {
            await CheckpointAndPublishAsync(publish ? "publish" : reason, publish, publishReference, step, ct).ConfigureAwait(false);
        }
        await PublishFeedbackAsync(batch, result, ct).ConfigureAwait(false);
    }

    private async Task CheckpointAndPublishAsync(string reason, bool publish, bool publishReference, long step, CancellationToken ct)
    {
        var (checkpoint, policySha) = Checkpoint(reason);
        // Publication happens only from a written checkpoint: a crash before this point retrains and republishes
        // nothing; a crash after it is finished from the same checkpoint on restart.
        WeightsManifest? policy = null;
        if (publish)
        {
            policy = await _publisher.PublishPolicyAsync(CheckpointStore.PolicyDirectory(checkpoint), _policyVersion, step, ct, policySha).ConfigureAwait(false);
        }
        if (publishReference)
        {
            // A per-window refresh has just copied this very policy into the reference: same bytes, already stored.
            var same = policy is not null && _options.ParsedReferenceRefresh == ReferenceRefresh.PerWindow && _referenceVersion == _policyVersion ? policy : null;
            await _publisher.PublishReferenceAsync(CheckpointStore.ReferenceDirectory(checkpoint), _referenceVersion, step, ct, same).ConfigureAwait(false);
        }
        if (publish || publishReference)
        {
            await _publisher.PruneAsync(ct).ConfigureAwait(false);
        }
    }

    private (string Directory, string PolicySha256) Checkpoint(string reason)
    {
        var trainer = _trainer!;
        var clock = Stopwatch.StartNew();
        var rng = trainer.RngState;
        var state = new TrainerCheckpointState
        {
            Step = trainer.Step,
            PolicyVersion = _policyVersion,
            PolicyVersionStep = _policyVersionStep,
            ReferenceVersion = _referenceVersion,
            ReferenceVersionStep = _referenceVersionStep,
            WindowStartVersion = _windowStart,
            Rng = [rng.S0, rng.S1, rng.S2, rng.S3],
            Topic = _connection.Topics.Pairs,
            // Positions of partitions never read stay at "beginning" (-1 means no record consumed yet).
            Offsets = _positions.Where(kv => kv.Value >= 0).ToDictionary(kv => kv.Key, kv => kv.Value),
            TrainedPairIds = _window!.ToList(),
            OptimizerStep = trainer.Optimizer.Step,
            HeadOptimizerStep = trainer.HeadWeightOptimizer?.Step ?? 0,
            HasReference = _options.ParsedReferenceRefresh != ReferenceRefresh.Fixed,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var referenceAsIn = _lastCheckpoint is not null && _lastCheckpointReferenceVersion == _referenceVersion ? _lastCheckpoint : null;
        var (folder, policySha) = _checkpoints!.SaveWithHash(trainer, _tokenizer!, state, _segment, referenceAsIn, _referenceIsPolicy);
        _lastCheckpoint = folder;
        _lastCheckpointReferenceVersion = _referenceVersion;
        _segment.Clear();
        _instruments.Checkpointed(reason, clock.Elapsed);
        TrainerLog.Checkpointed(_logger, folder, state.Step, reason);
        return (folder, policySha);
    }

    private async Task ShutdownCheckpointAsync()
    {
        // Bounded: a publication that cannot reach the store is finished from this checkpoint on the next start.
        using var limit = new CancellationTokenSource(ShutdownPublishTimeout);
        try
        {
            if (_pending.Count > 0)
            {
                await StepAsync("shutdown", forceCheckpoint: true, limit.Token).ConfigureAwait(false);
            }
            else
            {
                Checkpoint("shutdown");
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            // The checkpoint is written; only the publication was cut short.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The last complete checkpoint still stands; its offsets make the restart retrain what this one missed.
            TrainerLog.Failed(_logger, ex);
        }
    }

    // One event per scorer batch in the step: LASeR's reward is the negative mean loss of that batch's pairs
    // (ALGORITHMS.md §3.2), the context the L2-normalised mean prompt embedding (§3.1).
    private async Task PublishFeedbackAsync(List<TrainingPair> batch, StepResult result, CancellationToken ct)
    {
        if (_services.GetService<IBus>() is not { } bus)
        {
            return;
        }
        var groups = batch.Select((p, i) => (p, i)).Where(x => x.p.BatchId.Length > 0).GroupBy(x => x.p.BatchId, StringComparer.Ordinal).ToList();
        foreach (var g in groups)
        {
            var members = g.ToList();
            var loss = members.Average(x => result.PairLosses[x.i]);
            var arm = Array.IndexOf(_arms, members[0].p.RewardModel);
            var context = MeanEmbedding(members.Select(x => x.p.PromptEmbedding));
            await bus.Publish(new BanditFeedback(g.Key, arm, context, -loss), ct).ConfigureAwait(false);
        }
        _instruments.FeedbackPublished(groups.Count);
    }

    private static float[] MeanEmbedding(IEnumerable<float[]> embeddings)
    {
        var list = embeddings.Where(e => e.Length > 0).ToList();
        if (list.Count == 0 || list.Any(e => e.Length != list[0].Length))
        {
            return [];
        }
        var mean = new double[list[0].Length];
        foreach (var e in list)
        {
            for (var j = 0; j < mean.Length; j++)
            {
                mean[j] += e[j];
            }
        }
        var norm = Math.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => norm > 0 ? (float)(v / norm) : 0f).ToArray();
    }

    private async Task RefreshBacklogAsync(IConsumer<byte[], byte[]> consumer, CancellationToken ct)
    {
        try
        {
            long backlog = _pending.Count;
            var lag = new Dictionary<int, long>();
            foreach (var tp in consumer.Assignment)
            {
                // The high watermark cached from fetch responses costs nothing; ask the broker only before the first fetch.
                var w = consumer.GetWatermarkOffsets(tp);
                if (w.High == Offset.Unset)
                {
                    w = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(2));
                }
                var position = _positions.TryGetValue(tp.Partition.Value, out var p) && p >= 0 ? p : Math.Max(0, w.Low.Value);
                var behind = Math.Max(0, w.High.Value - position);
                lag[tp.Partition.Value] = behind;
                backlog += behind;
            }
            lock (_lagGate)
            {
                _lag.Clear();
                foreach (var kv in lag)
                {
                    _lag[kv.Key] = kv.Value;
                }
            }
            _instruments.Backlog(backlog);
            await _state.SetValueAsync(BacklogKey, backlog.ToString(CultureInfo.InvariantCulture), null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KafkaException or TimeoutException or StackExchange.Redis.RedisException)
        {
            TrainerLog.BacklogFailed(_logger, ex);
        }
    }

    private void CommitForMonitoring(IConsumer<byte[], byte[]> consumer)
    {
        var offsets = _positions.Where(kv => kv.Value >= 0).Select(kv => new TopicPartitionOffset(_connection.Topics.Pairs, kv.Key, kv.Value)).ToList();
        if (offsets.Count == 0)
        {
            return;
        }
        try
        {
            consumer.Commit(offsets);
            _kafkaInstruments.OffsetsCommitted(StageName, "ok");
        }
        catch (KafkaException)
        {
            _kafkaInstruments.OffsetsCommitted(StageName, "error");
        }
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        lock (_lagGate)
        {
            return _lag.Select(kv => new Measurement<long>(kv.Value,
                new KeyValuePair<string, object?>("stage", StageName),
                new KeyValuePair<string, object?>("topic", _connection.Topics.Pairs),
                new KeyValuePair<string, object?>("partition", kv.Key.ToString(CultureInfo.InvariantCulture)))).ToList();
        }
    }
}
