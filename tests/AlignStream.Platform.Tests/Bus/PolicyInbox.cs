using AlignStream.Contracts.Events;
using MassTransit;

namespace AlignStream.Platform.Tests.Bus;

/// <summary>What a test's consumer saw: the first message, and how many attempts were made.</summary>
public sealed class PolicyInbox
{
    private int _attempts;

    /// <summary>Attempts that should throw before one succeeds (to exercise the retry middleware).</summary>
    public int FailFirst { get; init; }

    /// <summary>Completes with the first successfully consumed message.</summary>
    public TaskCompletionSource<PolicyWeightsPublished> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Consume attempts so far, failed ones included.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    internal int Attempt() => Interlocked.Increment(ref _attempts);
}

/// <summary>Consumer that records into the test's <see cref="PolicyInbox"/>; throws for the first attempts when asked.</summary>
public sealed class PolicyWeightsRecorder(PolicyInbox inbox) : IConsumer<PolicyWeightsPublished>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<PolicyWeightsPublished> context)
    {
        if (inbox.Attempt() <= inbox.FailFirst)
        {
            throw new InvalidOperationException("deliberate failure so the retry middleware runs");
        }

        inbox.Received.TrySetResult(context.Message);
        return Task.CompletedTask;
    }
}
