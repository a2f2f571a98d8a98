using AlignStream.Contracts.Events;
using AlignStream.Scorer.Reference;
using MassTransit;

namespace AlignStream.Scorer.Consumers;

/// <summary>
/// Every scorer replica gets its own copy of <see cref="ReferenceUpdated"/> (a temporary, instance-named endpoint)
/// and checks the reference pointer now instead of at the next poll.
/// </summary>
public sealed class ScorerReferenceUpdatedConsumer(ReferenceWatcher watcher) : IConsumer<ReferenceUpdated>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ReferenceUpdated> context)
    {
        watcher.Nudge();
        return Task.CompletedTask;
    }
}
