using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace AlignStream.Platform.State;

/// <summary>
/// One pull of a LASeR (LinUCB-style) bandit arm and the reward it earned: the event the shared bandit is made of.
/// Its effect on the arm's statistics is A += x·xᵀ, b += r̃·x, pulls += 1; the store keeps the event (about 8·d bytes)
/// rather than the d² delta, and every reader folds the events in log order, so all replicas hold the same sums.
/// </summary>
/// <param name="Arm">Arm index, 0 or more.</param>
/// <param name="Context">x, length d (already L2-normalised when the bandit normalises contexts).</param>
/// <param name="RawReward">r = −loss, as the trainer reported it.</param>
/// <param name="Reward">r̃, the normalised reward that goes into b.</param>
public sealed record BanditObservation(int Arm, double[] Context, double RawReward, double Reward)
{
    /// <summary>Dimension d of the context.</summary>
    public int Dimension => Context.Length;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when the observation cannot be stored.</summary>
    public void EnsureValid()
    {
        if (Arm < 0)
        {
            throw new ArgumentException($"BanditObservation.Arm must be 0 or more (got {Arm}).", nameof(Arm));
        }
        if (Context is not { Length: > 0 })
        {
            throw new ArgumentException("BanditObservation.Context must not be empty (its length is the context dimension d).", nameof(Context));
        }
        for (var i = 0; i < Context.Length; i++)
        {
            if (!double.IsFinite(Context[i]))
            {
                throw new ArgumentException($"BanditObservation.Context[{i}] is {Context[i]}; contexts must be finite.", nameof(Context));
            }
        }
        if (!double.IsFinite(RawReward) || !double.IsFinite(Reward))
        {
            throw new ArgumentException($"BanditObservation rewards must be finite (raw {RawReward}, normalised {Reward}).", nameof(Reward));
        }
    }

    /// <summary>
    /// Adds this observation to an arm's sums: <paramref name="a"/> (d×d row-major) += x·xᵀ, <paramref name="b"/> += r̃·x.
    /// Every fold of the log goes through here, so sums built by different readers agree bit for bit.
    /// </summary>
    public void AddTo(double[] a, double[] b)
    {
        AddOuterTo(a);
        ArgumentNullException.ThrowIfNull(b);
        if (b.Length != Context.Length)
        {
            throw new ArgumentException($"b of dimension {b.Length} cannot take an observation of dimension {Context.Length}.", nameof(b));
        }
        TensorPrimitives.MultiplyAdd(Context, Reward, b, b);
    }

    /// <summary>The A half of <see cref="AddTo"/>: <paramref name="a"/> (d×d row-major) += x·xᵀ, row by row.</summary>
    public void AddOuterTo(double[] a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var d = Context.Length;
        if (a.Length != d * d)
        {
            throw new ArgumentException($"A with {a.Length} values cannot take an observation of dimension {d}.", nameof(a));
        }
        for (var i = 0; i < d; i++)
        {
            var row = a.AsSpan(i * d, d);
            TensorPrimitives.MultiplyAdd(Context, Context[i], row, row);
        }
    }

    /// <summary>Bytes of the stored form for dimension <paramref name="d"/>: arm (int32), r, r̃, then x, little-endian.</summary>
    public static int EncodedLength(int d) => sizeof(int) + (2 * sizeof(double)) + (d * sizeof(double));

    /// <summary>The stored form (see <see cref="EncodedLength"/>); doubles travel bit-exact.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[EncodedLength(Context.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, Arm);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(4), RawReward);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(12), Reward);
        WriteDoubles(Context, bytes.AsSpan(20));
        return bytes;
    }

    /// <summary>Reads the stored form written by <see cref="Encode"/> for dimension <paramref name="d"/>.</summary>
    public static BanditObservation Decode(ReadOnlySpan<byte> bytes, int d)
    {
        if (bytes.Length != EncodedLength(d))
        {
            throw new InvalidDataException($"a bandit log entry holds {bytes.Length} bytes; expected {EncodedLength(d)} for dimension {d}.");
        }
        var x = new double[d];
        ReadDoubles(bytes[20..], x);
        return new BanditObservation(
            BinaryPrimitives.ReadInt32LittleEndian(bytes),
            x,
            BinaryPrimitives.ReadDoubleLittleEndian(bytes[4..]),
            BinaryPrimitives.ReadDoubleLittleEndian(bytes[12..]));
    }

    internal static void WriteDoubles(ReadOnlySpan<double> values, Span<byte> bytes)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
            return;
        }
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes[(i * sizeof(double))..], values[i]);
        }
    }

    internal static void ReadDoubles(ReadOnlySpan<byte> bytes, Span<double> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            bytes[..(values.Length * sizeof(double))].CopyTo(MemoryMarshal.AsBytes(values));
            return;
        }
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * sizeof(double))..]);
        }
    }
}

/// <summary>Accumulated statistics of one arm.</summary>
/// <param name="A">d×d row-major sum of x·xᵀ (add the ridge λI when solving).</param>
/// <param name="B">Length-d sum of r̃·x.</param>
/// <param name="Pulls">Number of observations.</param>
public sealed record BanditArmStatistics(double[] A, double[] B, long Pulls);

/// <summary>A consistent snapshot of every arm of one bandit, read in one step.</summary>
/// <param name="Dimension">Context dimension d.</param>
/// <param name="Arms">Statistics by arm index; arms never pulled are absent.</param>
public sealed record BanditSnapshot(int Dimension, IReadOnlyDictionary<int, BanditArmStatistics> Arms)
{
    /// <summary>Total observations the snapshot stands for.</summary>
    public long Pulls => Arms.Values.Sum(a => a.Pulls);

    /// <summary>A deep copy.</summary>
    public BanditSnapshot Copy() => new(Dimension, CopyArms());

    /// <summary>A deep copy of the arms in a dictionary of its own (a fold adds to it).</summary>
    internal Dictionary<int, BanditArmStatistics> CopyArms() =>
        Arms.ToDictionary(kv => kv.Key, kv => new BanditArmStatistics((double[])kv.Value.A.Clone(), (double[])kv.Value.B.Clone(), kv.Value.Pulls));

    /// <summary>
    /// The checks every store makes before compacting (<see cref="IStateStore.CompactBanditAsync"/>): a valid snapshot
    /// whose pulls are exactly the observations before <paramref name="upTo"/>.
    /// </summary>
    internal static void EnsureCompactable(long upTo, BanditSnapshot sums)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(upTo);
        sums.EnsureValid();
        if (sums.Pulls != upTo)
        {
            throw new ArgumentException($"sums for the first {upTo} observations must count {upTo} pulls; they count {sums.Pulls}.", nameof(sums));
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when an arm's sums do not have this snapshot's dimension.</summary>
    public void EnsureValid()
    {
        if (Dimension < 1)
        {
            throw new ArgumentException($"BanditSnapshot.Dimension must be 1 or more (got {Dimension}).", nameof(Dimension));
        }
        foreach (var (arm, s) in Arms)
        {
            if (arm < 0 || s.Pulls < 0 || s.A.Length != Dimension * Dimension || s.B.Length != Dimension)
            {
                throw new ArgumentException(
                    $"BanditSnapshot arm {arm} has {s.A.Length} A values, {s.B.Length} b values and {s.Pulls} pulls; dimension {Dimension} needs {Dimension * Dimension} and {Dimension}, pulls 0 or more.",
                    nameof(Arms));
            }
        }
    }
}

/// <summary>
/// What a reader of a bandit's event log gets (<see cref="IStateStore.ReadBanditAsync"/>): the observations from
/// <see cref="Start"/> on, in log order, and, when the reader's position was no longer (or not yet) in the log, the
/// folded sums of everything before <see cref="Start"/>.
/// </summary>
/// <param name="Dimension">Context dimension d.</param>
/// <param name="Base">Position of the first observation still in the log: those before it were folded into the stored snapshot.</param>
/// <param name="Start">Position of <paramref name="Entries"/>[0]: the position asked for when the log still held it, else <paramref name="Base"/>.</param>
/// <param name="Snapshot">The sums of every observation before <paramref name="Start"/> when the reader has to rebuild from them, else null.</param>
/// <param name="Entries">Observations from <paramref name="Start"/> to the end of the log.</param>
public sealed record BanditLog(int Dimension, long Base, long Start, BanditSnapshot? Snapshot, IReadOnlyList<BanditObservation> Entries)
{
    /// <summary>The position after the last observation read: where the next read starts.</summary>
    public long Next => Start + Entries.Count;

    /// <summary>True when the reader must rebuild its sums from <see cref="Snapshot"/> (or from zero) instead of continuing.</summary>
    public bool Rebuild => Snapshot is not null;

    /// <summary>
    /// The statistics of every observation up to <see cref="Next"/>: <see cref="Snapshot"/> (zero when absent) plus the
    /// entries, folded in log order. Only complete for a log read from position 0 or one that carries a snapshot.
    /// </summary>
    public BanditSnapshot Fold()
    {
        if (Snapshot is null && Start != 0)
        {
            throw new InvalidOperationException($"a log read from position {Start} without a snapshot holds only part of the bandit; read it from 0 to fold it.");
        }
        var d = Dimension;
        var arms = Snapshot?.CopyArms() ?? [];
        foreach (var entry in Entries)
        {
            if (!arms.TryGetValue(entry.Arm, out var arm))
            {
                arm = new BanditArmStatistics(new double[d * d], new double[d], 0);
            }
            entry.AddTo(arm.A, arm.B);
            arms[entry.Arm] = arm with { Pulls = arm.Pulls + 1 };
        }
        return new BanditSnapshot(d, arms);
    }
}
