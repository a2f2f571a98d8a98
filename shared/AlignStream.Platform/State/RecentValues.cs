namespace AlignStream.Platform.State;

/// <summary>What <see cref="IStateStore.PushRecentAsync"/> returns.</summary>
/// <param name="Count">Values ever appended to the list, this one included.</param>
/// <param name="Values">The kept values, oldest first; the last is the one just appended.</param>
public sealed record RecentValues(long Count, IReadOnlyList<string> Values);
