namespace AlignStream.Platform.Kafka;

/// <summary>
/// Processes a batch of records (up to the loop's batch size or wait). The task completes after every
/// output of the batch was acknowledged; the loop then stores the offsets per partition. When a batch
/// fails, the loop retries it, then handles its records one by one so only the bad ones are dead-lettered.
/// </summary>
/// <typeparam name="T">The protobuf record type.</typeparam>
public interface IBatchRecordHandler<T>
    where T : class
{
    /// <summary>Handles the batch; completes after its outputs are acknowledged.</summary>
    Task HandleBatchAsync(IReadOnlyList<ConsumedRecord<T>> records, CancellationToken cancellationToken);
}
