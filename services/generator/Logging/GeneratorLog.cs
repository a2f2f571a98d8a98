using Microsoft.Extensions.Logging;

namespace AlignStream.Generator.Logging;

/// <summary>The generator's log messages (source-generated).</summary>
internal static partial class GeneratorLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "generator decode loop started: {Slots} slots of {Capacity} tokens, {MaxStepTokens} tokens per step")]
    public static partial void DecodeLoopStarted(ILogger logger, int slots, int capacity, int maxStepTokens);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "generator decode loop stopped after {Steps} steps")]
    public static partial void DecodeLoopStopped(ILogger logger, long steps);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "decode step failed; the prompts in flight are failed and will be retried")]
    public static partial void DecodeStepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "prompt {PromptId} rejected: {Reason}")]
    public static partial void PromptRejected(ILogger logger, string promptId, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "trainer backlog {Backlog} is above {Bound}: generation waits")]
    public static partial void BackpressureStarted(ILogger logger, long backlog, long bound);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "trainer backlog {Backlog} is back within {Bound}: generation resumes")]
    public static partial void BackpressureEnded(ILogger logger, long backlog, long bound);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "policy version {Version} now serving")]
    public static partial void PolicyServing(ILogger logger, long version);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "heartbeat failed; will retry")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "prompt {PromptId} already generated (record {RecordId}); dropped")]
    public static partial void DuplicateDropped(ILogger logger, string promptId, string recordId);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "could not read the policy pointer on start; serving the base model until the periodic check succeeds")]
    public static partial void StartCheckFailed(ILogger logger, Exception exception);
}
