using AlignStream.Contracts.Events;
using AlignStream.Scorer.Laser;
using MassTransit;

namespace AlignStream.Scorer.Consumers;

/// <summary>
/// Competing consumer of the trainer's <see cref="BanditFeedback"/>: the scorer replicas share one queue, so each
/// event is applied by one of them to the shared bandit statistics (idempotently, by batch id).
/// </summary>
public sealed class ScorerBanditFeedbackConsumer(BanditFeedbackApplier applier) : IConsumer<BanditFeedback>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<BanditFeedback> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return applier.ApplyAsync(context.Message, context.CancellationToken);
    }
}
