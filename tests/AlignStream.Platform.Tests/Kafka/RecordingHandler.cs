using System.Collections.Concurrent;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>A prompt handler for tests: records what it completed and lets the test decide failures per record.</summary>
public sealed class RecordingHandler : IRecordHandler<Prompt>, IBatchRecordHandler<Prompt>
{
    private readonly Func<ConsumedRecord<Prompt>, int, CancellationToken, Task>? _behaviour;
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    /// <summary>Creates the handler; <paramref name="behaviour"/> gets the record, its attempt number (1-based) and the loop's token, and may throw.</summary>
    public RecordingHandler(Func<ConsumedRecord<Prompt>, int, CancellationToken, Task>? behaviour = null)
    {
        _behaviour = behaviour;
    }

    /// <summary>Prompt ids handled successfully, in completion order.</summary>
    public ConcurrentQueue<string> Completed { get; } = new();

    /// <summary>Trace ids seen by the handler (Activity.Current), by prompt id.</summary>
    public ConcurrentDictionary<string, string> TraceIds { get; } = new();

    /// <summary>Batch sizes seen.</summary>
    public ConcurrentQueue<int> BatchSizes { get; } = new();

    /// <summary>Attempts made per prompt id.</summary>
    public int AttemptsFor(string promptId) => _attempts.GetValueOrDefault(promptId);

    /// <inheritdoc />
    public async Task HandleAsync(ConsumedRecord<Prompt> record, CancellationToken cancellationToken)
    {
        var attempt = _attempts.AddOrUpdate(record.Value.PromptId, 1, (_, n) => n + 1);
        if (System.Diagnostics.Activity.Current is { } activity)
        {
            TraceIds[record.Value.PromptId] = activity.TraceId.ToString();
        }
        if (_behaviour is not null)
        {
            await _behaviour(record, attempt, cancellationToken).ConfigureAwait(false);
        }
        Completed.Enqueue(record.Value.PromptId);
    }

    /// <inheritdoc />
    public async Task HandleBatchAsync(IReadOnlyList<ConsumedRecord<Prompt>> records, CancellationToken cancellationToken)
    {
        BatchSizes.Enqueue(records.Count);
        // All-or-nothing like a real batch: run every record first, then mark them completed.
        var done = new List<string>();
        foreach (var r in records)
        {
            _attempts.AddOrUpdate(r.Value.PromptId, 1, (_, n) => n + 1);
            if (_behaviour is not null)
            {
                await _behaviour(r, _attempts[r.Value.PromptId], cancellationToken).ConfigureAwait(false);
            }
            done.Add(r.Value.PromptId);
        }
        foreach (var id in done)
        {
            Completed.Enqueue(id);
        }
    }
}
