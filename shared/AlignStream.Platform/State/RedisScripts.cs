namespace AlignStream.Platform.State;

/// <summary>
/// Lua scripts that make multi-step store operations atomic inside Redis. Times come from the server's TIME so
/// replicas with skewed clocks agree on expiry.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS[1] bandit hash. ARGV: arm, d, ΔA (d² little-endian doubles), Δb (d doubles), pulls.
    /// Fields: <c>d</c>, <c>a:{arm}</c>, <c>b:{arm}</c> (packed doubles), <c>n:{arm}</c> (pull count).
    /// Packed binary keeps every double bit-exact; Lua's own numbers are IEEE doubles, so the sums are the same as in C#.
    /// </summary>
    public const string BanditUpdate = """
        local arm = ARGV[1]
        local d = tonumber(ARGV[2])
        local stored = redis.call('HGET', KEYS[1], 'd')
        if stored and tonumber(stored) ~= d then
          return redis.error_reply('ALIGN_DIMENSION bandit dimension is ' .. stored .. ', the update has ' .. d)
        end
        if not stored then redis.call('HSET', KEYS[1], 'd', d) end
        local function add(field, delta, n)
          local current = redis.call('HGET', KEYS[1], field)
          local parts = {}
          local i = 0
          while i < n do
            -- Chunks of 128 doubles per struct call: far fewer Lua calls than one per value, well under the stack limit.
            local m = math.min(128, n - i)
            local fmt = '<' .. string.rep('d', m)
            local v = {struct.unpack(fmt, delta, i * 8 + 1)}
            if current then
              local c = {struct.unpack(fmt, current, i * 8 + 1)}
              for k = 1, m do v[k] = v[k] + c[k] end
            end
            parts[#parts + 1] = struct.pack(fmt, unpack(v, 1, m))
            i = i + m
          end
          redis.call('HSET', KEYS[1], field, table.concat(parts))
        end
        add('a:' .. arm, ARGV[3], d * d)
        add('b:' .. arm, ARGV[4], d)
        redis.call('HINCRBY', KEYS[1], 'n:' .. arm, ARGV[5])
        return 1
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
