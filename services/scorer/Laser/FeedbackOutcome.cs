namespace AlignStream.Scorer.Laser;

/// <summary>What happened to one BanditFeedback event (the metric label).</summary>
public enum FeedbackOutcome
{
    /// <summary>Applied with the pending context recorded at selection.</summary>
    Applied,

    /// <summary>No pending context (expired, or another experiment's store): applied with the event's own arm and context.</summary>
    AppliedFromEvent,

    /// <summary>Already applied by this or another replica.</summary>
    Duplicate,

    /// <summary>Neither a pending context nor a usable one in the event, or a non-finite reward.</summary>
    Rejected,
}
