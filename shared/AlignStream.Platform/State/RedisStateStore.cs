using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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
    public Task UpdateBanditAsync(string bandit, BanditUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(update);
        update.EnsureValid();
        return Timed("update_bandit", async () =>
        {
            RedisValue[] args =
            [
                update.Arm,
                update.Dimension,
                Pack(update.DeltaA),
                Pack(update.DeltaB),
                update.Pulls,
            ];
            try
            {
                await Db.ScriptEvaluateAsync(RedisScripts.BanditUpdate, [_keys.Bandit(bandit)], args).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("ALIGN_DIMENSION", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Bandit '{bandit}': {ex.Message}", ex);
            }

            _instruments?.BanditStatisticsUpdated(update.Arm);
            return true;
        });
    }

    /// <inheritdoc />
    public Task<BanditSnapshot?> GetBanditAsync(string bandit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        return Timed("get_bandit", async () =>
        {
            // One HGETALL of one key: a consistent snapshot of every arm.
            var entries = await Db.HashGetAllAsync(_keys.Bandit(bandit)).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                return null;
            }

            var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
            var d = (int)fields["d"];
            var arms = new Dictionary<int, BanditArmStatistics>();
            foreach (var name in fields.Keys.Where(f => f.StartsWith("n:", StringComparison.Ordinal)))
            {
                var arm = int.Parse(name.AsSpan(2), CultureInfo.InvariantCulture);
                arms[arm] = new BanditArmStatistics(
                    Unpack(fields["a:" + name[2..]], d * d),
                    Unpack(fields["b:" + name[2..]], d),
                    (long)fields[name]);
            }

            return (BanditSnapshot?)new BanditSnapshot(d, arms);
        });
    }

    /// <inheritdoc />
    public Task<BanditSnapshot?> GetBanditArmsAsync(string bandit, IReadOnlyList<int> arms, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentNullException.ThrowIfNull(arms);
        var wanted = arms.Distinct().ToArray();
        foreach (var k in wanted)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(k, nameof(arms));
        }
        return Timed("get_bandit_arms", async () =>
        {
            // One HMGET of the dimension and each wanted arm's three fields: consistent, like HGETALL, but only these arms travel.
            var fields = new RedisValue[1 + (3 * wanted.Length)];
            fields[0] = "d";
            for (var i = 0; i < wanted.Length; i++)
            {
                var k = wanted[i].ToString(CultureInfo.InvariantCulture);
                fields[1 + (3 * i)] = "n:" + k;
                fields[2 + (3 * i)] = "a:" + k;
                fields[3 + (3 * i)] = "b:" + k;
            }
            var values = await Db.HashGetAsync(_keys.Bandit(bandit), fields).ConfigureAwait(false);
            if (values[0].IsNull)
            {
                return null;
            }
            var d = (int)values[0];
            var selected = new Dictionary<int, BanditArmStatistics>();
            for (var i = 0; i < wanted.Length; i++)
            {
                if (!values[1 + (3 * i)].IsNull)
                {
                    selected[wanted[i]] = new BanditArmStatistics(Unpack(values[2 + (3 * i)], d * d), Unpack(values[3 + (3 * i)], d), (long)values[1 + (3 * i)]);
                }
            }
            return (BanditSnapshot?)new BanditSnapshot(d, selected);
        });
    }

    /// <inheritdoc />
    public Task<long[]?> GetBanditPullsAsync(string bandit, int arms, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bandit);
        ArgumentOutOfRangeException.ThrowIfNegative(arms);
        return Timed("get_bandit_pulls", async () =>
        {
            // One HMGET of the dimension and the pull counters: no arm statistics travel.
            var fields = new RedisValue[arms + 1];
            fields[0] = "d";
            for (var k = 0; k < arms; k++)
            {
                fields[k + 1] = "n:" + k.ToString(CultureInfo.InvariantCulture);
            }
            var values = await Db.HashGetAsync(_keys.Bandit(bandit), fields).ConfigureAwait(false);
            if (values[0].IsNull)
            {
                return null;
            }
            var pulls = new long[arms];
            for (var k = 0; k < arms; k++)
            {
                pulls[k] = values[k + 1].IsNull ? 0 : (long)values[k + 1];
            }
            return (long[]?)pulls;
        });
    }

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

    private static byte[] Pack(double[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            // The stored form is little-endian doubles: on such a host it is the array's own bytes.
            return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }
        var bytes = new byte[values.Length * sizeof(double)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)), values[i]);
        }

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
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(i * sizeof(double)));
        }

        return values;
    }
}
