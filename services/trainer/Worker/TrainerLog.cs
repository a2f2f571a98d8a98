using Microsoft.Extensions.Logging;

namespace AlignStream.Trainer.Worker;

/// <summary>The trainer's log messages.</summary>
internal static partial class TrainerLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "trainer resumed from {Checkpoint}: step {Step}, policy version {Version}, offsets {Offsets}")]
    public static partial void Resumed(ILogger logger, string checkpoint, long step, long version, string offsets);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "trainer starts fresh from {ModelPath} at policy version {Version}")]
    public static partial void StartedFresh(ILogger logger, string modelPath, long version);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "published {Kind} version {Version} at step {Step} ({Uri})")]
    public static partial void Published(ILogger logger, string kind, long version, long step, string uri);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "publishing {Kind} version {Version} failed; retrying")]
    public static partial void PublishRetry(ILogger logger, Exception error, string kind, long version);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "checkpoint {Directory} written at step {Step} ({Reason})")]
    public static partial void Checkpointed(ILogger logger, string directory, long step, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "pair at {Topic}[{Partition}]@{Offset} dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Critical, Message = "trainer loop failed; stopping the host")]
    public static partial void Failed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "re-publishing {Kind} version {Version} from checkpoint {Checkpoint}: the state store holds {Stored}")]
    public static partial void Republishing(ILogger logger, string kind, long version, string checkpoint, long stored);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "the state store's policy version {Stored} is ahead of the trainer's {Version}; numbering continues after it")]
    public static partial void StoreAhead(ILogger logger, long stored, long version);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "waiting for topic {Topic} to exist")]
    public static partial void WaitingForTopic(ILogger logger, string topic);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "backlog refresh failed")]
    public static partial void BacklogFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "weight store retention (Weights:KeepVersions={Keep}) deleted {Count} old entries: {Names}")]
    public static partial void Pruned(ILogger logger, int keep, int count, string names);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "weight store retention failed; the store keeps its old versions until the next publication")]
    public static partial void PruneFailed(ILogger logger, Exception error);
}
