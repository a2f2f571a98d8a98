namespace AlignStream.Platform.State;

/// <summary>
/// Lua scripts that make multi-step store operations atomic inside Redis. Times come from the server's TIME so
/// replicas with skewed clocks agree on expiry.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Lua: the log position of the hash's snapshot. A bandit hash written before the event log (fields d, a:, b:, n:
    /// without <c>base</c>) holds the sums of its first Σn observations, so that is where its log starts; it is recorded.
    /// </summary>
    private const string BaseOf = """
        local function baseOf(h)
          local b = redis.call('HGET', h, 'base')
          if b then return b end
          local n = 0
          local fields = redis.call('HKEYS', h)
          for _, f in ipairs(fields) do
            if string.sub(f, 1, 2) == 'n:' then n = n + tonumber(redis.call('HGET', h, f)) end
          end
          local text = string.format('%.0f', n)
          redis.call('HSET', h, 'base', text)
          return text
        end

        """;

    /// <summary>
    /// KEYS[1] bandit hash, KEYS[2] its event log (a list). ARGV: d, one encoded observation. Returns the observation's
    /// position. Hash fields: <c>d</c>, <c>base</c> (position of the log's first entry) and the snapshot of everything
    /// before it, <c>a:{arm}</c>, <c>b:{arm}</c> (packed little-endian doubles) and <c>n:{arm}</c> (pulls).
    /// </summary>
    public const string BanditAppend = BaseOf + """
        local d = tonumber(ARGV[1])
        local stored = redis.call('HGET', KEYS[1], 'd')
        if stored and tonumber(stored) ~= d then
          return redis.error_reply('ALIGN_DIMENSION bandit dimension is ' .. stored .. ', the observation has ' .. d)
        end
        if not stored then redis.call('HSET', KEYS[1], 'd', d, 'base', 0) end
        local base = tonumber(baseOf(KEYS[1]))
        return base + redis.call('RPUSH', KEYS[2], ARGV[2]) - 1
        """;

    /// <summary>
    /// KEYS as <see cref="BanditAppend"/>. ARGV: from. Returns nil for no bandit, else [d, base, start, snapshot, entries]:
    /// entries from <c>from</c> when the log holds that position (snapshot empty), else the whole hash (the snapshot) and
    /// every entry from <c>base</c>.
    /// </summary>
    public const string BanditRead = BaseOf + """
        local d = redis.call('HGET', KEYS[1], 'd')
        if not d then return false end
        local baseText = baseOf(KEYS[1])
        local base = tonumber(baseText)
        local len = redis.call('LLEN', KEYS[2])
        local from = tonumber(ARGV[1])
        if from < base or from > base + len then
          return {d, baseText, baseText, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
        end
        return {d, baseText, ARGV[1], {}, redis.call('LRANGE', KEYS[2], from - base, -1)}
        """;

    /// <summary>
    /// KEYS as <see cref="BanditAppend"/>. ARGV: upTo, d, then per arm: arm, A, b, pulls (the sums of entries before
    /// upTo). Replaces the snapshot and trims the log when upTo lies after base and within the log; returns 1, else 0.
    /// </summary>
    public const string BanditCompact = BaseOf + """
        local d = redis.call('HGET', KEYS[1], 'd')
        if not d then return 0 end
        if tonumber(d) ~= tonumber(ARGV[2]) then
          return redis.error_reply('ALIGN_DIMENSION bandit dimension is ' .. d .. ', the sums have ' .. ARGV[2])
        end
        local base = tonumber(baseOf(KEYS[1]))
        local upTo = tonumber(ARGV[1])
        if upTo <= base or upTo > base + redis.call('LLEN', KEYS[2]) then return 0 end
        for i = 3, #ARGV, 4 do
          redis.call('HSET', KEYS[1], 'a:' .. ARGV[i], ARGV[i + 1], 'b:' .. ARGV[i], ARGV[i + 2], 'n:' .. ARGV[i], ARGV[i + 3])
        end
        redis.call('HSET', KEYS[1], 'base', ARGV[1])
        redis.call('LTRIM', KEYS[2], upTo - base, -1)
        return 1
        """;

    /// <summary>KEYS[1] list, KEYS[2] its append counter. ARGV: value, keep. Returns [count, kept values oldest first].</summary>
    public const string PushRecent = """
        local n = redis.call('INCR', KEYS[2])
        redis.call('RPUSH', KEYS[1], ARGV[1])
        redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
        return {n, redis.call('LRANGE', KEYS[1], 0, -1)}
        """;

    /// <summary>KEYS[1] heartbeat zset (score = expiry ms), KEYS[2] details hash. ARGV: id, ttl ms, details. Returns expiry ms.</summary>
    public const string Beat = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expires = now + tonumber(ARGV[2])
        redis.call('ZADD', KEYS[1], string.format('%.0f', expires), ARGV[1])
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        return string.format('%.0f', expires)
        """;

    /// <summary>KEYS as <see cref="Beat"/>. Drops expired members, returns flat [id, expiry ms, details, ...].</summary>
    public const string ListLive = """
        local t = redis.call('TIME')
        local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
        local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
        for _, id in ipairs(dead) do redis.call('HDEL', KEYS[2], id) end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
        local out = {}
        for i = 1, #live, 2 do
          out[#out + 1] = live[i]
          out[#out + 1] = live[i + 1]
          out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''
        end
        return out
        """;
}
