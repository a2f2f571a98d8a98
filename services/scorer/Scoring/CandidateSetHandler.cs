using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;

namespace AlignStream.Scorer.Scoring;

/// <summary>
/// The consume loop's handler: resolves the <see cref="CandidateSetScorer"/> on the first batch rather than when the
/// host builds its hosted services, so a misconfigured process reports every invalid option at start (options
/// validation runs after hosted services are constructed) instead of the first one a constructor happens to read.
/// </summary>
public sealed class CandidateSetHandler(IServiceProvider services) : IBatchRecordHandler<CandidateSet>
{
    private CandidateSetScorer? _scorer;

    /// <inheritdoc />
    public Task HandleBatchAsync(IReadOnlyList<ConsumedRecord<CandidateSet>> records, CancellationToken cancellationToken)
    {
        _scorer ??= services.GetRequiredService<CandidateSetScorer>();
        return _scorer.HandleBatchAsync(records, cancellationToken);
    }
}
