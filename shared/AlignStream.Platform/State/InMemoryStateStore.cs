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
    private readonly Dictionary<string, (long Count, Queue<string> Values)> _recent = new(StringComparer.Ordinal);

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
    public Task<long> AppendBanditAsync(string bandit, BanditObservation observation, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(observation);
        observation.EnsureValid();
        lock (_gate)
        {
            var key = _keys.Bandit(bandit);
            if (!_bandits.TryGetValue(key, out var b))
            {
                b = new Bandit(observation.Dimension);
                _bandits[key] = b;
            }
            if (b.Dimension != observation.Dimension)
            {
                throw new InvalidOperationException($"Bandit '{bandit}' has dimension {b.Dimension}; the observation has {observation.Dimension}.");
            }
            // A copy, so the caller's array never changes what the log holds.
            b.Log.Add(observation with { Context = (double[])observation.Context.Clone() });
            return Task.FromResult(b.Base + b.Log.Count - 1);
        }
    }

    /// <inheritdoc />
    public Task<BanditLog?> ReadBanditAsync(string bandit, long from, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        lock (_gate)
        {
            if (!_bandits.TryGetValue(_keys.Bandit(bandit), out var b))
            {
                return Task.FromResult<BanditLog?>(null);
            }
            var inLog = from >= b.Base && from <= b.Base + b.Log.Count;
            var start = inLog ? from : b.Base;
            var entries = b.Log.Skip((int)(start - b.Base)).Select(e => e with { Context = (double[])e.Context.Clone() }).ToArray();
            var snapshot = inLog ? null : new BanditSnapshot(b.Dimension, b.Snapshot).Copy();
            return Task.FromResult<BanditLog?>(new BanditLog(b.Dimension, b.Base, start, snapshot, entries));
        }
    }

    /// <inheritdoc />
    public Task<bool> CompactBanditAsync(string bandit, long upTo, BanditSnapshot sums, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(sums);
        BanditSnapshot.EnsureCompactable(upTo, sums);
        lock (_gate)
        {
            if (!_bandits.TryGetValue(_keys.Bandit(bandit), out var b))
            {
                return Task.FromResult(false);
            }
            if (b.Dimension != sums.Dimension)
            {
                throw new InvalidOperationException($"Bandit '{bandit}' has dimension {b.Dimension}; the sums have {sums.Dimension}.");
            }
            if (upTo <= b.Base || upTo > b.Base + b.Log.Count)
            {
                return Task.FromResult(false);
            }
            b.Snapshot.Clear();
            foreach (var (arm, s) in sums.Copy().Arms)
            {
                b.Snapshot[arm] = s;
            }
            b.Log.RemoveRange(0, (int)(upTo - b.Base));
            b.Base = upTo;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public async Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default) =>
        (await ReadBanditAsync(bandit, 0, cancellationToken).ConfigureAwait(false))?.Fold();

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
    public Task<RecentValues> PushRecentAsync(string key, string value, int keep, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        lock (_gate)
        {
            var (count, values) = _recent.GetValueOrDefault(key, (0, new Queue<string>()));
            values.Enqueue(value);
            while (values.Count > keep)
            {
                values.Dequeue();
            }
            _recent[key] = (count + 1, values);
            return Task.FromResult(new RecentValues(count + 1, [.. values]));
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

        /// <summary>Position of <see cref="Log"/>[0]; the observations before it are folded into <see cref="Snapshot"/>.</summary>
        public long Base { get; set; }

        public Dictionary<int, BanditArmStatistics> Snapshot { get; } = [];

        public List<BanditObservation> Log { get; } = [];
    }
}
