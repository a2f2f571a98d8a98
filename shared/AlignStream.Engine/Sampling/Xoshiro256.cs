using System.Numerics;
using System.Text;

namespace AlignStream.Engine.Sampling;

/// <summary>
/// xoshiro256** pseudo-random generator as an explicit value: seedable, copyable, and its state can be
/// exported and restored (e.g. in a checkpoint) so any sample can be reproduced from (weights, record, seed).
/// Output is defined by integer arithmetic only, so it is identical on every platform.
/// Not for security.
/// </summary>
public struct Xoshiro256 : IEquatable<Xoshiro256>
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Seeds the state from one 64-bit seed through SplitMix64 (never all-zero).</summary>
    public Xoshiro256(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>The full 256-bit state, for checkpoints.</summary>
    public readonly RngState State => new(_s0, _s1, _s2, _s3);

    /// <summary>Restores a generator from an exported state.</summary>
    public static Xoshiro256 FromState(RngState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("an all-zero xoshiro256 state never changes; restore a state exported by State.", nameof(state));
        }

        return new Xoshiro256 { _s0 = state.S0, _s1 = state.S1, _s2 = state.S2, _s3 = state.S3 };
    }

    /// <summary>
    /// Derives an independent seed for stream <paramref name="streamIndex"/> (a sequence, a sample index) of a run
    /// seeded with <paramref name="baseSeed"/>; stable across runs, processes and platforms.
    /// </summary>
    public static ulong DeriveSeed(ulong baseSeed, ulong streamIndex)
    {
        // Two rounds of the SplitMix64 finalizer over distinct mixes of the inputs keep nearby
        // (baseSeed, index) pairs far apart.
        var x = Mix(baseSeed ^ 0x9E3779B97F4A7C15UL);
        return Mix(x ^ Mix(streamIndex + 0xD1B54A32D192ED03UL));
    }

    /// <summary>Derives a seed from a string id (e.g. a prompt id) via 64-bit FNV-1a over its UTF-8 bytes; stable across platforms.</summary>
    public static ulong DeriveSeed(ulong baseSeed, string streamId)
    {
        ArgumentNullException.ThrowIfNull(streamId);
        var h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(streamId))
        {
            h = (h ^ b) * 0x100000001B3UL;
        }

        return DeriveSeed(baseSeed, h);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        var range = (ulong)maxExclusive;
        var m = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold)
            {
                m = Math.BigMul(NextUInt64(), range, out low);
            }
        }

        return (int)m;
    }

    /// <inheritdoc/>
    public readonly bool Equals(Xoshiro256 other) => State == other.State;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is Xoshiro256 o && Equals(o);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => State.GetHashCode();

    /// <summary>Equality of states.</summary>
    public static bool operator ==(Xoshiro256 left, Xoshiro256 right) => left.Equals(right);

    /// <summary>Inequality of states.</summary>
    public static bool operator !=(Xoshiro256 left, Xoshiro256 right) => !left.Equals(right);

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Exported 256-bit state of <see cref="Xoshiro256"/>.</summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3);
