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
    /// Adds <paramref name="update"/> to arm statistics of bandit <paramref name="bandit"/> atomically: concurrent
    /// writers never lose an update. The first update fixes the dimension; a later one of another dimension throws.
    /// </summary>
    Task UpdateBanditAsync(string bandit, BanditUpdate update, CancellationToken cancellationToken = default);

    /// <summary>A consistent snapshot of all arms, or null if the bandit has no updates.</summary>
    Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The pull counts of arms 0..<paramref name="arms"/>−1 (0 for an arm never updated), or null if the bandit has no
    /// updates: a few bytes instead of the d² statistics of every arm, so a reader can tell whether its copy is current.
    /// </summary>
    Task<long[]?> GetBanditPullsAsync(string bandit, int arms, CancellationToken cancellationToken = default);

    /// <summary>
    /// A consistent snapshot of the listed <paramref name="arms"/> only (those never updated are absent), or null if the
    /// bandit has no updates: a reader whose copy is behind on one arm fetches that arm's d² statistics, not every arm's.
    /// </summary>
    Task<BanditSnapshot?> GetBanditArmsAsync(string bandit, IReadOnlyList<int> arms, CancellationToken cancellationToken = default);

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

    /// <summary>Removes a small value; true if it existed.</summary>
    Task<bool> DeleteValueAsync(string key, CancellationToken cancellationToken = default);
}
