using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace AlignStream.Platform.Kafka;

/// <summary>Source-generated log messages of the Kafka area.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Kafka {Client} error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, string client, ErrorCode code, string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Critical, Message = "Kafka {Client} fatal error {Code}: {Reason}; stopping the host")]
    public static partial void FatalError(ILogger logger, string client, ErrorCode code, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Stage {Stage}: {Change} {Partitions}")]
    public static partial void PartitionsChanged(ILogger logger, string stage, string change, string partitions);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Debug, Message = "Stage {Stage}: offset commit skipped during a rebalance ({Code}); the next commit retries")]
    public static partial void CommitDuringRebalance(ILogger logger, string stage, ErrorCode code);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Stage {Stage}: offset commit failed ({Code}: {Reason})")]
    public static partial void CommitFailed(ILogger logger, string stage, ErrorCode code, string reason);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Stage {Stage}: {Topic}[{Partition}]@{Offset} dead-lettered ({Kind}): {Reason}")]
    public static partial void DeadLettered(ILogger logger, string stage, string topic, int partition, long offset, string kind, string reason);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Stage {Stage}: handler attempt {Attempt} of {MaxAttempts} failed; retrying")]
    public static partial void HandlerRetry(ILogger logger, string stage, int attempt, int maxAttempts, Exception exception);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Debug, Message = "Stage {Stage}: offset for {Topic}[{Partition}] not stored, partition no longer assigned ({Reason})")]
    public static partial void StoreSkipped(ILogger logger, string stage, string topic, int partition, string reason);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Error, Message = "Stage {Stage}: writing to the dead-letter topic failed; retrying so the record is not lost")]
    public static partial void DeadLetterWriteFailed(ILogger logger, string stage, Exception exception);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "Stage {Stage}: consume error {Code}: {Reason}; the loop goes on")]
    public static partial void ConsumeError(ILogger logger, string stage, ErrorCode code, string reason);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Stage {Stage}: close did not complete cleanly: {Reason}")]
    public static partial void CloseFailed(ILogger logger, string stage, string reason);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "Stage {Stage}: consuming {Topics} in group {GroupId}")]
    public static partial void LoopStarted(ILogger logger, string stage, string topics, string groupId);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Information, Message = "Stage {Stage}: stopped and closed")]
    public static partial void LoopStopped(ILogger logger, string stage);

    [LoggerMessage(EventId = 7014, Message = "librdkafka {Name} [{Facility}] {Message}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string name, string facility, string message);

    /// <summary>Routes a librdkafka log line to the logger at the matching level.</summary>
    public static void Librdkafka(ILogger logger, LogMessage message) =>
        Librdkafka(logger, message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        }, message.Name, message.Facility, message.Message);

    [LoggerMessage(EventId = 7015, Level = LogLevel.Error, Message = "Stage {Stage}: record skipped without dead-lettering (Kafka:DeadLetterEnabled=false): {Topic}[{Partition}]@{Offset}: {Reason}")]
    public static partial void SkippedWithoutDeadLetter(ILogger logger, string stage, string topic, int partition, long offset, string reason);
}
