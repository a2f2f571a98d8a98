namespace AlignStream.Platform.Kafka;

/// <summary>
/// Processes one record. The returned task completes after every output the record caused was
/// acknowledged; only then does the loop store its offset. Throw <see cref="PermanentRecordException"/>
/// for a record that can never succeed; other exceptions are retried.
/// </summary>
/// <typeparam name="T">The protobuf record type.</typeparam>
public interface IRecordHandler<T>
    where T : class
{
    /// <summary>Handles the record; completes after its outputs are acknowledged.</summary>
    Task HandleAsync(ConsumedRecord<T> record, CancellationToken cancellationToken);
}
