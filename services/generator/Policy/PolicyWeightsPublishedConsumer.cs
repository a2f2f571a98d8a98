using AlignStream.Contracts.Events;
using MassTransit;

namespace AlignStream.Generator.Policy;

/// <summary>
/// Turns the trainer's publication event into an immediate pointer check. The event is only a hint: the watcher
/// reads the signed manifest from the state store, so a forged or stale event cannot change what is served.
/// </summary>
public sealed class PolicyWeightsPublishedConsumer(PolicyWeightsWatcher watcher) : IConsumer<PolicyWeightsPublished>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<PolicyWeightsPublished> context)
    {
        watcher.Nudge();
        return Task.CompletedTask;
    }
}
