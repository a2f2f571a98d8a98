namespace AlignStream.Platform.State;

/// <summary>A live service instance as last reported.</summary>
/// <param name="Id">Instance id, e.g. <c>generator-0</c>.</param>
/// <param name="Details">Free text the instance reported (version served, host), possibly empty.</param>
/// <param name="ExpiresAt">When it stops counting as live unless it beats again.</param>
public sealed record Heartbeat(string Id, string Details, DateTimeOffset ExpiresAt);
