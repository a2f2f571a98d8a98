namespace AlignStream.Platform.Kafka;

/// <summary>
/// Thrown by a handler for a record that can never be processed (invalid content, violated
/// invariant): the loop dead-letters it at once instead of retrying. Any other exception is treated
/// as transient and retried up to <see cref="KafkaOptions.MaxHandlerAttempts"/>.
/// </summary>
public sealed class PermanentRecordException : Exception
{
    /// <summary>Creates the exception with the reason that goes into the dead-letter header.</summary>
    public PermanentRecordException(string reason)
        : base(reason)
    {
    }

    /// <summary>Creates the exception with a reason and the underlying error.</summary>
    public PermanentRecordException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }
}
