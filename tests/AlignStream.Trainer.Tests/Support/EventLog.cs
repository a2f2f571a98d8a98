using System.Collections.Concurrent;
using AlignStream.Contracts.Events;
using MassTransit;

namespace AlignStream.Trainer.Tests.Support;

/// <summary>Control-plane events the trainer published, as seen by consumers on the in-memory bus.</summary>
public sealed class EventLog
{
    public ConcurrentQueue<PolicyWeightsPublished> Policies { get; } = new();

    public ConcurrentQueue<ReferenceUpdated> References { get; } = new();

    public ConcurrentQueue<BanditFeedback> Feedback { get; } = new();
}

/// <summary>Records PolicyWeightsPublished.</summary>
public sealed class PolicyRecorder(EventLog log) : IConsumer<PolicyWeightsPublished>
{
    public Task Consume(ConsumeContext<PolicyWeightsPublished> context)
    {
        log.Policies.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>Records ReferenceUpdated.</summary>
public sealed class ReferenceRecorder(EventLog log) : IConsumer<ReferenceUpdated>
{
    public Task Consume(ConsumeContext<ReferenceUpdated> context)
    {
        log.References.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>Records BanditFeedback.</summary>
public sealed class FeedbackRecorder(EventLog log) : IConsumer<BanditFeedback>
{
    public Task Consume(ConsumeContext<BanditFeedback> context)
    {
        log.Feedback.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}
