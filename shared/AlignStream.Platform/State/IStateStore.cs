namespace AlignStream.Platform.State;

/// <summary>
/// Shared state of the pipeline (ARCHITECTURE.md "State"): current manifests, bandit statistics updated
/// atomically by many replicas, heartbeats, idempotency keys, and small values such as the trainer backlog.
/// Keys are relative; the implementation prefixes them with the configured namespace.
/// </summary>
public interface IStateStore
{
    /// <summary>The current policy or reference manifest, or null when none was published yet.</summary>
    Task<WeightsManifest?> GetManifestAsync(ManifestKind kind, CancellationToken cancellationToken = default);

    /// <summary>Replaces the current manifest of <paramref name="kind"/>.</summary>
    Task SetManifestAsync(ManifestKind kind, WeightsManifest manifest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends one observation to the event log of bandit <paramref name="bandit"/> and returns its position (0 for the
    /// first). Concurrent writers never lose an observation and every reader sees the same order. The first observation
    /// fixes the dimension; a later one of another dimension throws <see cref="InvalidOperationException"/>.
    /// </summary>
    Task<long> AppendBanditAsync(string bandit, BanditObservation observation, CancellationToken cancellationToken = default);

    /// <summary>
    /// The bandit's observations from position <paramref name="from"/> on, read consistently, or null if it has none.
    /// A reader keeps its own sums and asks from where it stopped, so only new observations travel. When
    /// <paramref name="from"/> was already folded into the stored snapshot (or lies beyond the log, e.g. after the
    /// bandit was reset), the answer carries the snapshot and every observation after it, and the reader rebuilds.
    /// </summary>
    Task<BanditLog?> ReadBanditAsync(string bandit, long from, CancellationToken cancellationToken = default);

    /// <summary>
    /// Folds the log up to position <paramref name="upTo"/> into the stored snapshot, given <paramref name="sums"/>: the
    /// statistics of observations 0..<paramref name="upTo"/>−1 as a reader folded them, whose pulls must add up to
    /// <paramref name="upTo"/>. True when the log was trimmed; false, changing nothing, when another reader already
    /// compacted that far or <paramref name="upTo"/> is not in the log. Keeps the log (and a new reader's first read) bounded.
    /// </summary>
    Task<bool> CompactBanditAsync(string bandit, long upTo, BanditSnapshot sums, CancellationToken cancellationToken = default);

    /// <summary>A consistent snapshot of all arms (the whole log folded in order), or null if the bandit has no observations.</summary>
    Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default);

    /// <summary>Marks <paramref name="id"/> live for <paramref name="ttl"/> from now, with optional details.</summary>
    Task BeatAsync(string id, TimeSpan ttl, string details = "", CancellationToken cancellationToken = default);

    /// <summary>Instances whose last heartbeat has not expired, ordered by id.</summary>
    Task<IReadOnlyList<Heartbeat>> ListLiveAsync(CancellationToken cancellationToken = default);

    /// <summary>True exactly once per <paramref name="key"/> until it expires after <paramref name="ttl"/>.</summary>
    Task<bool> TryClaimAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>A small value, or null when absent or expired.</summary>
    Task<string?> GetValueAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Several small values in one round trip, in the order of <paramref name="keys"/> (null where absent or expired):
    /// what a loop of <see cref="GetValueAsync"/> would return, without a round trip per key.
    /// </summary>
    Task<string?[]> GetValuesAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Sets a small value, expiring after <paramref name="ttl"/> when given.</summary>
    Task SetValueAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="delta"/> (may be negative) to an integer value atomically; absent counts as 0. Returns the new value.</summary>
    Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="value"/> to the bounded list <paramref name="key"/>, which keeps the newest
    /// <paramref name="keep"/>, and returns, in one atomic step, how many values were ever appended there and the kept
    /// values, oldest first, ending with this one: a history window that replicas share without a round trip per slot.
    /// </summary>
    Task<RecentValues> PushRecentAsync(string key, string value, int keep, CancellationToken cancellationToken = default);

    /// <summary>Removes a small value; true if it existed.</summary>
    Task<bool> DeleteValueAsync(string key, CancellationToken cancellationToken = default);
}
