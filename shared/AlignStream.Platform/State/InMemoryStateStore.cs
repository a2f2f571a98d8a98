namespace AlignStream.Platform.State;

/// <summary>
/// Process-local <see cref="IStateStore"/> with the same semantics as Redis (atomic bandit updates, expiry
/// honoured against <see cref="TimeProvider"/>). Thread-safe: one lock, since every operation is tiny.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly StateKeys _keys;
    private readonly Dictionary<string, (string Value, DateTimeOffset? ExpiresAt)> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Bandit> _bandits = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Heartbeat> _heartbeats = new(StringComparer.Ordinal);

    /// <summary>Creates an empty store with namespace <paramref name="ns"/> on the given clock (system clock by default).</summary>
    public InMemoryStateStore(string ns = "align", TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ns);
        _keys = new StateKeys(ns);
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public Task<WeightsManifest?> GetManifestAsync(ManifestKind kind, CancellationToken cancellationToken = default)
    {
        var json = Get(_keys.Manifest(kind));
        return Task.FromResult(json is null ? null : ManifestJson.Deserialize(json));
    }

    /// <inheritdoc />
    public Task SetManifestAsync(ManifestKind kind, WeightsManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Set(_keys.Manifest(kind), ManifestJson.Serialize(manifest), null);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UpdateBanditAsync(string bandit, BanditUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(update);
        update.EnsureValid();
        lock (_gate)
        {
            var key = _keys.Bandit(bandit);
            if (!_bandits.TryGetValue(key, out var b))
            {
                b = new Bandit(update.Dimension);
                _bandits[key] = b;
            }

            if (b.Dimension != update.Dimension)
            {
                throw new InvalidOperationException(
                    $"Bandit '{bandit}' has dimension {b.Dimension}; the update has {update.Dimension}.");
            }

            if (!b.Arms.TryGetValue(update.Arm, out var arm))
            {
                arm = new BanditArmStatistics(new double[update.DeltaA.Length], new double[update.DeltaB.Length], 0);
            }

            var a = arm.A;
            for (var i = 0; i < a.Length; i++)
            {
                a[i] += update.DeltaA[i];
            }

            var bv = arm.B;
            for (var i = 0; i < bv.Length; i++)
            {
                bv[i] += update.DeltaB[i];
            }

            b.Arms[update.Arm] = arm with { Pulls = arm.Pulls + update.Pulls };
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        lock (_gate)
        {
            if (!_bandits.TryGetValue(_keys.Bandit(bandit), out var b))
            {
                return Task.FromResult<BanditSnapshot?>(null);
            }

            // Copies, so a caller never sees later updates through the arrays it holds.
            var arms = b.Arms.ToDictionary(
                kv => kv.Key,
                kv => new BanditArmStatistics((double[])kv.Value.A.Clone(), (double[])kv.Value.B.Clone(), kv.Value.Pulls));
            return Task.FromResult<BanditSnapshot?>(new BanditSnapshot(b.Dimension, arms));
        }
    }

    /// <inheritdoc />
    public Task<BanditSnapshot?> GetBanditArmsAsync(string bandit, IReadOnlyList<int> arms, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(arms);
        lock (_gate)
        {
            if (!_bandits.TryGetValue(_keys.Bandit(bandit), out var b))
            {
                return Task.FromResult<BanditSnapshot?>(null);
            }
            var selected = new Dictionary<int, BanditArmStatistics>();
            foreach (var k in arms.Distinct())
            {
                ArgumentOutOfRangeException.ThrowIfNegative(k, nameof(arms));
                if (b.Arms.TryGetValue(k, out var arm))
                {
                    selected[k] = new BanditArmStatistics((double[])arm.A.Clone(), (double[])arm.B.Clone(), arm.Pulls);
                }
            }
            return Task.FromResult<BanditSnapshot?>(new BanditSnapshot(b.Dimension, selected));
        }
    }

    /// <inheritdoc />
    public Task<long[]?> GetBanditPullsAsync(string bandit, int arms, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentOutOfRangeException.ThrowIfNegative(arms);
        lock (_gate)
        {
            if (!_bandits.TryGetValue(_keys.Bandit(bandit), out var b))
            {
                return Task.FromResult<long[]?>(null);
            }
            var pulls = new long[arms];
            for (var k = 0; k < arms; k++)
            {
                pulls[k] = b.Arms.TryGetValue(k, out var arm) ? arm.Pulls : 0;
            }
            return Task.FromResult<long[]?>(pulls);
        }
    }

    /// <inheritdoc />
    public Task BeatAsync(string id, TimeSpan ttl, string details = "", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        EnsurePositive(ttl);
        lock (_gate)
        {
            _heartbeats[id] = new Heartbeat(id, details ?? "", _time.GetUtcNow() + ttl);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Heartbeat>> ListLiveAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var dead in _heartbeats.Values.Where(h => h.ExpiresAt <= now).Select(h => h.Id).ToList())
            {
                _heartbeats.Remove(dead);
            }

            IReadOnlyList<Heartbeat> live = [.. _heartbeats.Values.OrderBy(h => h.Id, StringComparer.Ordinal)];
            return Task.FromResult(live);
        }
    }

    /// <inheritdoc />
    public Task<bool> TryClaimAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        EnsurePositive(ttl);
        var k = _keys.Idempotency(key);
        lock (_gate)
        {
            if (Get(k) is not null)
            {
                return Task.FromResult(false);
            }

            Set(k, "1", ttl);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<string?> GetValueAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Task.FromResult(Get(_keys.Value(key)));
    }

    /// <inheritdoc />
    public Task<string?[]> GetValuesAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new string?[keys.Count];
        for (var i = 0; i < values.Length; i++)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(keys[i], nameof(keys));
            values[i] = Get(_keys.Value(keys[i]));
        }
        return Task.FromResult(values);
    }

    /// <inheritdoc />
    public Task SetValueAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        if (ttl is { } t)
        {
            EnsurePositive(t);
        }

        Set(_keys.Value(key), value, ttl);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var k = _keys.Value(key);
        lock (_gate)
        {
            var current = Get(k);
            long value = 0;
            if (current is not null && !long.TryParse(current, System.Globalization.CultureInfo.InvariantCulture, out value))
            {
                throw new InvalidOperationException($"Value '{key}' is not an integer, so it cannot be incremented.");
            }

            value = checked(value + delta);
            // Like INCRBY: the value keeps its remaining time to live.
            var expires = _values.TryGetValue(k, out var old) ? old.ExpiresAt : null;
            _values[k] = (value.ToString(System.Globalization.CultureInfo.InvariantCulture), expires);
            return Task.FromResult(value);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteValueAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var k = _keys.Value(key);
        lock (_gate)
        {
            var existed = Get(k) is not null;
            _values.Remove(k);
            return Task.FromResult(existed);
        }
    }

    private string? Get(string fullKey)
    {
        lock (_gate)
        {
            if (!_values.TryGetValue(fullKey, out var entry))
            {
                return null;
            }

            if (entry.ExpiresAt is { } exp && exp <= _time.GetUtcNow())
            {
                _values.Remove(fullKey);
                return null;
            }

            return entry.Value;
        }
    }

    private void Set(string fullKey, string value, TimeSpan? ttl)
    {
        lock (_gate)
        {
            _values[fullKey] = (value, ttl is { } t ? _time.GetUtcNow() + t : null);
        }
    }

    private static void EnsurePositive(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A time to live must be positive.");
        }
    }

    private sealed class Bandit(int dimension)
    {
        public int Dimension { get; } = dimension;

        public Dictionary<int, BanditArmStatistics> Arms { get; } = [];
    }
}
