using System.Diagnostics;
using System.Globalization;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AlignStream.Platform.State;

/// <summary>
/// <see cref="IStateStore"/> on Redis through the process's one shared <see cref="IConnectionMultiplexer"/>.
/// Multi-step updates run as Lua scripts, so concurrent replicas never lose an update.
/// </summary>
public sealed class RedisStateStore : IStateStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly StateKeys _keys;
    private readonly PlatformInstruments? _instruments;

    /// <summary>Uses <paramref name="redis"/> (never disposed here: it is the process's shared connection).</summary>
    public RedisStateStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options, PlatformInstruments? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _keys = new StateKeys(options.Value.Namespace);
        _instruments = instruments;
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public Task<WeightsManifest?> GetManifestAsync(ManifestKind kind, CancellationToken cancellationToken = default) =>
        Timed("get_manifest", async () =>
        {
            var json = await Db.StringGetAsync(_keys.Manifest(kind)).ConfigureAwait(false);
            return json.IsNull ? null : ManifestJson.Deserialize(json!);
        });

    /// <inheritdoc />
    public Task SetManifestAsync(ManifestKind kind, WeightsManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Timed("set_manifest", () => Db.StringSetAsync(_keys.Manifest(kind), ManifestJson.Serialize(manifest)));
    }

    /// <inheritdoc />
    public Task<long> AppendBanditAsync(string bandit, BanditObservation observation, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(observation);
        observation.EnsureValid();
        return Timed("append_bandit", async () =>
        {
            RedisValue[] args = [observation.Dimension, observation.Encode()];
            RedisResult position;
            try
            {
                position = await Db.ScriptEvaluateAsync(RedisScripts.BanditAppend, [_keys.Bandit(bandit), _keys.BanditLog(bandit)], args).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("ALIGN_DIMENSION", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Bandit '{bandit}': {ex.Message}", ex);
            }
            _instruments?.BanditStatisticsUpdated(observation.Arm);
            return (long)position;
        });
    }

    /// <inheritdoc />
    public Task<BanditLog?> ReadBanditAsync(string bandit, long from, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        return Timed("read_bandit", async () =>
        {
            // One script: the position checks, the snapshot when needed and the entries are read at one point in the log.
            var result = await Db.ScriptEvaluateAsync(RedisScripts.BanditRead, [_keys.Bandit(bandit), _keys.BanditLog(bandit)], [from]).ConfigureAwait(false);
            if (result.IsNull)
            {
                return null;
            }
            var parts = (RedisResult[])result!;
            var d = Integer(parts[0], "d");
            var logBase = Integer(parts[1], "base");
            var start = Integer(parts[2], "start");
            var fields = (RedisResult[])parts[3]!;
            var rows = (RedisResult[])parts[4]!;
            BanditSnapshot? snapshot = null;
            if (fields.Length > 0)
            {
                var named = new Dictionary<string, RedisValue>(StringComparer.Ordinal);
                for (var i = 0; i + 1 < fields.Length; i += 2)
                {
                    named[(string)fields[i]!] = (RedisValue)fields[i + 1];
                }
                var arms = new Dictionary<int, BanditArmStatistics>();
                foreach (var name in named.Keys.Where(f => f.StartsWith("n:", StringComparison.Ordinal)))
                {
                    var arm = int.Parse(name.AsSpan(2), CultureInfo.InvariantCulture);
                    arms[arm] = new BanditArmStatistics(Unpack(named["a:" + name[2..]], (int)(d * d)), Unpack(named["b:" + name[2..]], (int)d), (long)named[name]);
                }
                snapshot = new BanditSnapshot((int)d, arms);
            }
            var entries = new BanditObservation[rows.Length];
            for (var i = 0; i < rows.Length; i++)
            {
                entries[i] = BanditObservation.Decode((byte[])rows[i]!, (int)d);
            }
            return (BanditLog?)new BanditLog((int)d, logBase, start, snapshot, entries);
        });
    }

    /// <inheritdoc />
    public Task<bool> CompactBanditAsync(string bandit, long upTo, BanditSnapshot sums, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(sums);
        BanditSnapshot.EnsureCompactable(upTo, sums);
        return Timed("compact_bandit", async () =>
        {
            var args = new List<RedisValue>(2 + (4 * sums.Arms.Count)) { upTo, sums.Dimension };
            foreach (var (arm, s) in sums.Arms.OrderBy(kv => kv.Key))
            {
                args.Add(arm);
                args.Add(Pack(s.A));
                args.Add(Pack(s.B));
                args.Add(s.Pulls);
            }
            try
            {
                var done = await Db.ScriptEvaluateAsync(RedisScripts.BanditCompact, [_keys.Bandit(bandit), _keys.BanditLog(bandit)], [.. args]).ConfigureAwait(false);
                return (long)done == 1;
            }
            catch (RedisServerException ex) when (ex.Message.Contains("ALIGN_DIMENSION", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Bandit '{bandit}': {ex.Message}", ex);
            }
        });
    }

    /// <inheritdoc />
    public async Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default) =>
        (await ReadBanditAsync(bandit, 0, cancellationToken).ConfigureAwait(false))?.Fold();

    /// <inheritdoc />
    public Task BeatAsync(string id, TimeSpan ttl, string details = "", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var ms = TtlMilliseconds(ttl);
        return Timed("beat", () => Db.ScriptEvaluateAsync(
            RedisScripts.Beat, [_keys.Heartbeats, _keys.HeartbeatDetails], [id, ms, details ?? ""]));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Heartbeat>> ListLiveAsync(CancellationToken cancellationToken = default) =>
        Timed("list_live", async () =>
        {
            var result = await Db.ScriptEvaluateAsync(RedisScripts.ListLive, [_keys.Heartbeats, _keys.HeartbeatDetails]).ConfigureAwait(false);
            var flat = (RedisResult[])result!;
            var live = new List<Heartbeat>(flat.Length / 3);
            for (var i = 0; i + 2 < flat.Length; i += 3)
            {
                var expires = long.Parse((string)flat[i + 1]!, NumberStyles.Float, CultureInfo.InvariantCulture);
                live.Add(new Heartbeat((string)flat[i]!, (string?)flat[i + 2] ?? "", DateTimeOffset.FromUnixTimeMilliseconds(expires)));
            }

            return (IReadOnlyList<Heartbeat>)[.. live.OrderBy(h => h.Id, StringComparer.Ordinal)];
        });

    /// <inheritdoc />
    public Task<bool> TryClaimAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        TtlMilliseconds(ttl);
        return Timed("claim", async () =>
        {
            // SET key 1 PX ttl NX: exactly one caller wins until the key expires.
            var won = await Db.StringSetAsync(_keys.Idempotency(key), 1, ttl, When.NotExists).ConfigureAwait(false);
            _instruments?.IdempotencyKeyClaimed(won);
            return won;
        });
    }

    /// <inheritdoc />
    public Task<string?> GetValueAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Timed("get_value", async () =>
        {
            var v = await Db.StringGetAsync(_keys.Value(key)).ConfigureAwait(false);
            return v.IsNull ? null : (string?)v;
        });
    }

    /// <inheritdoc />
    public Task<string?[]> GetValuesAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var redisKeys = new RedisKey[keys.Count];
        for (var i = 0; i < redisKeys.Length; i++)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(keys[i], nameof(keys));
            redisKeys[i] = _keys.Value(keys[i]);
        }
        if (redisKeys.Length == 0)
        {
            return Task.FromResult(Array.Empty<string?>());
        }
        return Timed("get_values", async () =>
        {
            // One MGET for all of them.
            var values = await Db.StringGetAsync(redisKeys).ConfigureAwait(false);
            return values.Select(v => v.IsNull ? null : (string?)v).ToArray();
        });
    }

    /// <inheritdoc />
    public Task SetValueAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        if (ttl is { } t)
        {
            TtlMilliseconds(t);
        }

        return Timed("set_value", () => Db.StringSetAsync(_keys.Value(key), value, ttl));
    }

    /// <inheritdoc />
    public Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Timed("increment", () => Db.StringIncrementAsync(_keys.Value(key), delta));
    }

    /// <inheritdoc />
    public Task<RecentValues> PushRecentAsync(string key, string value, int keep, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        return Timed("push_recent", async () =>
        {
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.PushRecent, [_keys.Recent(key), _keys.RecentCount(key)], [value, keep]).ConfigureAwait(false))!;
            var values = ((RedisResult[])result[1]!).Select(v => (string)v!).ToArray();
            return new RecentValues((long)result[0], values);
        });
    }

    /// <inheritdoc />
    public Task<bool> DeleteValueAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Timed("delete_value", () => Db.KeyDeleteAsync(_keys.Value(key)));
    }

    private async Task<T> Timed<T>(string operation, Func<Task<T>> action)
    {
        var start = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            var result = await action().ConfigureAwait(false);
            ok = true;
            return result;
        }
        finally
        {
            _instruments?.StateOperationCompleted(operation, ok, Stopwatch.GetElapsedTime(start));
        }
    }

    private async Task Timed(string operation, Func<Task> action) =>
        await Timed(operation, async () =>
        {
            await action().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private static long TtlMilliseconds(TimeSpan ttl)
    {
        var ms = (long)Math.Ceiling(ttl.TotalMilliseconds);
        if (ms <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A time to live must be positive (Redis counts it in whole milliseconds).");
        }

        return ms;
    }

    private static long Integer(RedisResult value, string what) =>
        long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidDataException($"bandit field '{what}' holds '{(string?)value}', not an integer.");

    private static byte[] Pack(double[] values)
    {
        // The stored form is little-endian doubles: on such a host it is the array's own bytes.
        var bytes = new byte[values.Length * sizeof(double)];
        BanditObservation.WriteDoubles(values, bytes);
        return bytes;
    }

    private static double[] Unpack(RedisValue packed, int count)
    {
        ReadOnlySpan<byte> bytes = (byte[]?)packed;
        if (bytes.Length != count * sizeof(double))
        {
            throw new InvalidDataException($"Bandit field holds {bytes.Length} bytes; expected {count} doubles.");
        }

        var values = new double[count];
        BanditObservation.ReadDoubles(bytes, values);
        return values;
    }
}
