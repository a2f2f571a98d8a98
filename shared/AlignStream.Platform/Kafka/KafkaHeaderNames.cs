namespace AlignStream.Platform.Kafka;

/// <summary>Header names the platform writes. Dead-letter headers describe where a record came from and why it failed.</summary>
public static class KafkaHeaderNames
{
    /// <summary>W3C trace context of the span that produced the record.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>W3C vendor trace state, when present.</summary>
    public const string TraceState = "tracestate";

    /// <summary>Dead letter: topic the record was consumed from.</summary>
    public const string SourceTopic = "align-dlq-source-topic";

    /// <summary>Dead letter: partition it was consumed from (decimal).</summary>
    public const string SourcePartition = "align-dlq-source-partition";

    /// <summary>Dead letter: offset it was consumed at (decimal).</summary>
    public const string SourceOffset = "align-dlq-source-offset";

    /// <summary>Dead letter: the stage (consume loop name) that gave up on it.</summary>
    public const string Stage = "align-dlq-stage";

    /// <summary>Dead letter: why, in words.</summary>
    public const string Reason = "align-dlq-reason";

    /// <summary>Dead letter: reason kind: decode | handler | attempts-exhausted.</summary>
    public const string ReasonKind = "align-dlq-reason-kind";

    /// <summary>Dead letter: .NET type of the exception, when there was one.</summary>
    public const string ErrorType = "align-dlq-error-type";

    /// <summary>Dead letter: handler attempts made.</summary>
    public const string Attempts = "align-dlq-attempts";

    /// <summary>Dead letter: when it was dead-lettered, unix milliseconds.</summary>
    public const string DeadLetteredAtUnixMs = "align-dlq-at-unix-ms";
}
