using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignStream.Alignment.Bandit;

/// <summary>
/// The shareable LinUCB state: per arm A_k (row-major d×d, starts at I) and b_k (starts at 0), play
/// counts, and the pooled raw-reward history the quantile normaliser reads. Every field changes only by
/// <see cref="Apply"/>, whose deltas add, so several scorer replicas can share one bandit through a
/// state store that applies updates atomically. A⁻¹ is not stored: it is derived (and kept up to date
/// by Sherman–Morrison) by <see cref="LinUcbBandit"/>.
/// </summary>
public sealed class BanditState
{
    private const int BinaryMagic = 0x42554331; // "1CUB": format tag of the byte form, version 1.

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    [JsonConstructor]
    public BanditState(int arms, int dimension, double[][] a, double[][] b, long[] counts, List<double> history)
    {
        Arms = arms;
        Dimension = dimension;
        A = a;
        B = b;
        Counts = counts;
        History = history;
        CheckShapes();
    }

    [JsonPropertyName("arms")]
    public int Arms { get; }

    [JsonPropertyName("dimension")]
    public int Dimension { get; }

    /// <summary>A_k, each row-major [d, d].</summary>
    [JsonPropertyName("a")]
    public double[][] A { get; }

    /// <summary>b_k, each [d].</summary>
    [JsonPropertyName("b")]
    public double[][] B { get; }

    /// <summary>Number of updates applied per arm.</summary>
    [JsonPropertyName("counts")]
    public long[] Counts { get; }

    /// <summary>Raw rewards r = −loss of every update, all arms pooled, in arrival order.</summary>
    [JsonPropertyName("history")]
    public List<double> History { get; }

    /// <summary>A fresh state: A_k = I, b_k = 0.</summary>
    public static BanditState Create(int arms, int dimension)
    {
        if (arms < 1 || dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(arms), $"a bandit needs >= 1 arm and dimension >= 1 (got {arms} arms, dimension {dimension}).");
        }
        var a = new double[arms][];
        var b = new double[arms][];
        for (var k = 0; k < arms; k++)
        {
            a[k] = new double[dimension * dimension];
            for (var i = 0; i < dimension; i++)
            {
                a[k][(i * dimension) + i] = 1.0;
            }
            b[k] = new double[dimension];
        }
        return new BanditState(arms, dimension, a, b, new long[arms], []);
    }

    /// <summary>
    /// Rebuilds a state from store-side sums (which omit the identity prior): A_k = I + Σxxᵀ, b_k = Σr̃x.
    /// Arms absent from <paramref name="sums"/> were never updated. The quantile history is optional.
    /// </summary>
    public static BanditState FromSums(int arms, int dimension, IReadOnlyDictionary<int, ArmSums> sums, IEnumerable<double>? history = null)
    {
        ArgumentNullException.ThrowIfNull(sums);
        var state = Create(arms, dimension);
        foreach (var (arm, s) in sums)
        {
            if ((uint)arm >= (uint)arms)
            {
                throw new ArgumentOutOfRangeException(nameof(sums), arm, $"stored statistics name arm {arm}; Bandit.Arms is {arms}.");
            }
            if (s.SumOuter.Length != dimension * dimension || s.SumRewardContext.Length != dimension)
            {
                throw new ArgumentException($"stored statistics of arm {arm} have dimension {s.SumRewardContext.Length}; Bandit.Dimension is {dimension}.", nameof(sums));
            }
            for (var i = 0; i < s.SumOuter.Length; i++)
            {
                state.A[arm][i] += s.SumOuter[i];
            }
            Array.Copy(s.SumRewardContext, state.B[arm], dimension);
            state.Counts[arm] = s.Pulls;
        }
        if (history is not null)
        {
            state.History.AddRange(history);
        }
        return state;
    }

    /// <summary>Adds one update's deltas. Order of application does not matter (up to float rounding) for A, b and counts.</summary>
    public void Apply(BanditUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if ((uint)update.Arm >= (uint)Arms)
        {
            throw new ArgumentOutOfRangeException(nameof(update), update.Arm, $"update names arm {update.Arm}; this bandit has arms 0..{Arms - 1}.");
        }
        if (update.Context.Length != Dimension)
        {
            throw new ArgumentException($"update context has width {update.Context.Length}; the bandit's dimension is {Dimension}.", nameof(update));
        }
        var d = Dimension;
        var a = A[update.Arm];
        var b = B[update.Arm];
        var x = update.Context;
        for (var i = 0; i < d; i++)
        {
            var row = a.AsSpan(i * d, d);
            TensorPrimitives.MultiplyAdd(x, x[i], row, row);
        }
        TensorPrimitives.MultiplyAdd(x, update.Reward, b, b);
        Counts[update.Arm]++;
        History.Add(update.RawReward);
    }

    /// <summary>A deep copy.</summary>
    public BanditState Clone() => new(Arms, Dimension, A.Select(r => (double[])r.Clone()).ToArray(), B.Select(r => (double[])r.Clone()).ToArray(), (long[])Counts.Clone(), [.. History]);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static BanditState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<BanditState>(json, Json) ?? throw new FormatException("bandit state JSON is 'null'.");
    }

    /// <summary>Compact little-endian binary form: magic, K, d, counts, A, b, history length, history.</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(BinaryMagic);
            w.Write(Arms);
            w.Write(Dimension);
            for (var k = 0; k < Arms; k++)
            {
                w.Write(Counts[k]);
                foreach (var v in A[k])
                {
                    w.Write(v);
                }
                foreach (var v in B[k])
                {
                    w.Write(v);
                }
            }
            w.Write(History.Count);
            foreach (var v in History)
            {
                w.Write(v);
            }
        }
        return ms.ToArray();
    }

    public static BanditState FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            if (r.ReadInt32() != BinaryMagic)
            {
                throw new FormatException("not a bandit state (bad magic number); was it written by BanditState.ToBytes?");
            }
            var arms = r.ReadInt32();
            var d = r.ReadInt32();
            if (arms < 1 || d < 1 || (long)arms * d * d * 8 > bytes.Length)
            {
                throw new FormatException($"bandit state header is inconsistent ({arms} arms, dimension {d}, {bytes.Length} bytes).");
            }
            var a = new double[arms][];
            var b = new double[arms][];
            var counts = new long[arms];
            for (var k = 0; k < arms; k++)
            {
                counts[k] = r.ReadInt64();
                a[k] = new double[d * d];
                for (var i = 0; i < a[k].Length; i++)
                {
                    a[k][i] = r.ReadDouble();
                }
                b[k] = new double[d];
                for (var i = 0; i < d; i++)
                {
                    b[k][i] = r.ReadDouble();
                }
            }
            var n = r.ReadInt32();
            var history = new List<double>(n);
            for (var i = 0; i < n; i++)
            {
                history.Add(r.ReadDouble());
            }
            return new BanditState(arms, d, a, b, counts, history);
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("bandit state bytes are truncated.", e);
        }
    }

    private void CheckShapes()
    {
        if (Arms < 1 || Dimension < 1 || A.Length != Arms || B.Length != Arms || Counts.Length != Arms
            || A.Any(m => m.Length != Dimension * Dimension) || B.Any(v => v.Length != Dimension))
        {
            throw new FormatException($"bandit state shapes are inconsistent: expected {Arms} arms of A [{Dimension}x{Dimension}] and b [{Dimension}].");
        }
    }
}
