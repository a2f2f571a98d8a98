using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AlignStream.Engine.IO;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.IO;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Checkpoints;

/// <summary>
/// Checkpoints of the trainer in one folder, plus the append-only trained ledger beside them.
/// <para>
/// A checkpoint <c>ckpt-{step}-{seq}</c> holds <c>policy/</c> (a Hugging Face folder), optionally <c>reference/</c>,
/// <c>optimizer.bin</c> (AdamW moments and the SPO head), <c>ledger-segment.jsonl</c> (the steps trained since the
/// previous checkpoint) and <c>state.json</c> (offsets, versions, RNG, trained-id window). It is written in a
/// temporary folder, fsynced, and renamed into place, so a crash leaves either the old or the new checkpoint.
/// The ledger (<c>trained-ledger.jsonl</c>) is appended only after the rename; on open, a segment the crash kept
/// out of the ledger is appended and a torn last line is cut, so the ledger always equals the latest checkpoint.
/// </para>
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>File name of the trained ledger in the root folder.</summary>
    public const string LedgerFileName = "trained-ledger.jsonl";

    private const string Prefix = "ckpt-";
    private const string TempPrefix = ".tmp-ckpt-";
    private const string StateFile = "state.json";
    private const string OptimizerFile = "optimizer.bin";
    private const string SegmentFile = "ledger-segment.jsonl";
    private static readonly byte[] OptimizerMagic = "ASOPT001"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly int _keep;

    /// <summary>Uses (and creates) <paramref name="root"/>, keeping the newest <paramref name="keep"/> checkpoints.</summary>
    public CheckpointStore(string root, int keep)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Root = Path.GetFullPath(root);
        _keep = keep;
        Directory.CreateDirectory(Root);
    }

    /// <summary>The checkpoint folder.</summary>
    public string Root { get; }

    /// <summary>Path of the trained ledger.</summary>
    public string LedgerPath => Path.Combine(Root, LedgerFileName);

    /// <summary>The policy weights folder inside a checkpoint.</summary>
    public static string PolicyDirectory(string checkpoint) => Path.Combine(checkpoint, "policy");

    /// <summary>The reference weights folder inside a checkpoint.</summary>
    public static string ReferenceDirectory(string checkpoint) => Path.Combine(checkpoint, "reference");

    /// <summary>
    /// Takes the folder's exclusive lock for the life of the returned handle: the trainer is a single instance, and a
    /// second one writing the same checkpoints and ledger would break exactly-once. The OS drops the lock when the
    /// holder dies, kill -9 included.
    /// </summary>
    public IDisposable AcquireLock()
    {
        var path = Path.Combine(Root, "trainer.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"{path} is locked: another trainer uses this checkpoint folder. Stop it, or give this one its own Trainer:CheckpointDirectory.", ex);
        }
    }

    /// <summary>
    /// The newest complete checkpoint (null when none), after removing half-written temporary folders and
    /// bringing the ledger in line with it.
    /// </summary>
    public LoadedCheckpoint? OpenLatest()
    {
        foreach (var temp in Directory.EnumerateDirectories(Root, TempPrefix + "*"))
        {
            Directory.Delete(temp, recursive: true);
        }
        LoadedCheckpoint? latest = null;
        foreach (var dir in CompleteCheckpoints().Reverse())
        {
            try
            {
                var state = JsonSerializer.Deserialize<TrainerCheckpointState>(File.ReadAllText(Path.Combine(dir, StateFile)), Json);
                if (state is not null && File.Exists(Path.Combine(dir, OptimizerFile)))
                {
                    latest = new LoadedCheckpoint(dir, state);
                    break;
                }
            }
            catch (JsonException)
            {
                // A damaged state file: fall back to the previous checkpoint.
            }
        }
        ReconcileLedger(latest);
        return latest;
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="trainer"/> with <paramref name="state"/> atomically; returns its folder.
    /// The reference is hard-linked instead of written again when the caller knows it is bytes already on disk:
    /// <paramref name="referenceIsPolicy"/> says it is a copy of the policy (a per-window refresh since the last
    /// step), whose file this checkpoint has just written; <paramref name="referenceAsIn"/> names an earlier checkpoint
    /// whose reference is the current one (no refresh since). Where neither applies, the source has no reference, or
    /// links are not possible, the reference is written.
    /// </summary>
    public string Save(PolicyTrainer trainer, ITokenizer tokenizer, TrainerCheckpointState state, IReadOnlyList<LedgerEntry> segment,
        string? referenceAsIn = null, bool referenceIsPolicy = false) =>
        SaveWithHash(trainer, tokenizer, state, segment, referenceAsIn, referenceIsPolicy).Directory;

    /// <summary>As <see cref="Save"/>, also returning the SHA-256 of the policy's weights file, computed as it was written.</summary>
    public (string Directory, string PolicySha256) SaveWithHash(PolicyTrainer trainer, ITokenizer tokenizer, TrainerCheckpointState state,
        IReadOnlyList<LedgerEntry> segment, string? referenceAsIn = null, bool referenceIsPolicy = false)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(segment);
        var existing = CompleteCheckpoints().ToList();
        var seq = existing.Count == 0 ? 1 : SequenceOf(existing[^1]) + 1;
        var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{state.Step:D12}-{seq:D8}");
        var temp = Path.Combine(Root, TempPrefix + name + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            var policySha = trainer.Policy.Save(PolicyDirectory(temp), tokenizer);
            if (state.HasReference
                && !(referenceIsPolicy && LinkTree(PolicyDirectory(temp), ReferenceDirectory(temp)))
                && !(referenceAsIn is not null && LinkTree(ReferenceDirectory(referenceAsIn), ReferenceDirectory(temp))))
            {
                trainer.Reference.Save(ReferenceDirectory(temp), tokenizer);
            }
            WriteOptimizer(Path.Combine(temp, OptimizerFile), trainer);
            File.WriteAllText(Path.Combine(temp, SegmentFile), string.Concat(segment.Select(e => JsonSerializer.Serialize(e, Json) + "\n")));
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
            FileSync.Tree(temp);
            var final = Path.Combine(Root, name);
            Directory.Move(temp, final);
            FileSync.Directory(Root);
            AppendToLedger(segment);
            Prune();
            return (final, policySha);
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
            throw;
        }
    }

    /// <summary>Loads weights, reference, optimizer moments, head, step and RNG of a checkpoint into <paramref name="trainer"/>.</summary>
    public static void Restore(PolicyTrainer trainer, LoadedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(checkpoint);
        ReadWeights(PolicyDirectory(checkpoint.Directory), trainer.Policy);
        if (checkpoint.State.HasReference)
        {
            ReadWeights(ReferenceDirectory(checkpoint.Directory), trainer.Reference);
        }
        ReadOptimizer(Path.Combine(checkpoint.Directory, OptimizerFile), trainer, checkpoint.State);
        trainer.Step = checkpoint.State.Step;
        if (checkpoint.State.Rng.Length == 4)
        {
            var r = checkpoint.State.Rng;
            trainer.RngState = new Engine.Sampling.RngState(r[0], r[1], r[2], r[3]);
        }
    }

    /// <summary>Every ledger entry, in order.</summary>
    public IReadOnlyList<LedgerEntry> ReadLedger() => ReadLedger(LedgerPath);

    /// <summary>Every complete entry of a ledger file (a torn last line is ignored).</summary>
    public static IReadOnlyList<LedgerEntry> ReadLedger(string path)
    {
        var entries = new List<LedgerEntry>();
        if (!File.Exists(path))
        {
            return entries;
        }
        foreach (var line in File.ReadAllText(path).Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                var e = JsonSerializer.Deserialize<LedgerEntry>(line, Json);
                if (e is not null)
                {
                    entries.Add(e);
                }
            }
            catch (JsonException)
            {
                break;
            }
        }
        return entries;
    }

    private IEnumerable<string> CompleteCheckpoints() =>
        Directory.EnumerateDirectories(Root, Prefix + "*")
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal);

    private static long SequenceOf(string dir)
    {
        var name = Path.GetFileName(dir);
        var dash = name.LastIndexOf('-');
        return long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    private void Prune()
    {
        var all = CompleteCheckpoints().ToList();
        foreach (var old in all.Take(Math.Max(0, all.Count - _keep)))
        {
            Directory.Delete(old, recursive: true);
        }
    }

    // The ledger must list exactly the steps of the latest checkpoint's history: cut a torn tail and any step
    // beyond the checkpoint (only possible after falling back past a damaged one), append a missing segment.
    private void ReconcileLedger(LoadedCheckpoint? latest)
    {
        var entries = ReadLedger(LedgerPath).ToList();
        var maxStep = latest?.State.Step ?? 0;
        var kept = entries.Where(e => e.Step <= maxStep).ToList();
        var lastStep = kept.Count == 0 ? 0 : kept[^1].Step;
        var missing = new List<LedgerEntry>();
        if (latest is not null)
        {
            missing.AddRange(ReadLedger(Path.Combine(latest.Directory, SegmentFile)).Where(e => e.Step > lastStep));
        }
        var onDisk = File.Exists(LedgerPath) ? File.ReadAllText(LedgerPath) : "";
        var expected = string.Concat(kept.Select(e => JsonSerializer.Serialize(e, Json) + "\n"));
        if (missing.Count == 0 && onDisk == expected)
        {
            return;
        }
        var temp = LedgerPath + ".tmp";
        File.WriteAllText(temp, expected + string.Concat(missing.Select(e => JsonSerializer.Serialize(e, Json) + "\n")));
        FileSync.File(temp);
        File.Move(temp, LedgerPath, overwrite: true);
        FileSync.Directory(Root);
    }

    private void AppendToLedger(IReadOnlyList<LedgerEntry> segment)
    {
        if (segment.Count == 0)
        {
            return;
        }
        var text = new StringBuilder();
        foreach (var e in segment)
        {
            text.Append(JsonSerializer.Serialize(e, Json)).Append('\n');
        }
        using var stream = new FileStream(LedgerPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Hard-links every file of <paramref name="source"/> (a weights folder, flat) into a new <paramref name="target"/>;
    /// false, leaving no target behind, when the source is missing or incomplete or a link cannot be made.
    /// </summary>
    private static bool LinkTree(string source, string target)
    {
        if (!File.Exists(Path.Combine(source, CheckpointFolder.WeightsFileName)) || Directory.EnumerateDirectories(source).Any())
        {
            return false;
        }
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            if (!FileLinks.TryHardLink(file, Path.Combine(target, Path.GetFileName(file))))
            {
                Directory.Delete(target, recursive: true);
                return false;
            }
        }
        return true;
    }

    private static void ReadWeights(string directory, Engine.Model.LlamaModel model)
    {
        using var folder = CheckpointFolder.Load(directory);
        if (folder.Config.ParameterCount() != model.Config.ParameterCount())
        {
            throw new InvalidDataException($"{directory}: the checkpoint's architecture ({folder.Config}) differs from Model:Path ({model.Config}); point Trainer:CheckpointDirectory at a fresh folder");
        }
        folder.ReadAllInto(model.Weights.Data);
    }

    private static void WriteOptimizer(string path, PolicyTrainer trainer)
    {
        // Twice the weights' size, rewritten at every checkpoint and read back only on restart: past the page cache.
        using var stream = UnbufferedFileWriter.Create(path);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(OptimizerMagic);
        WriteArray(w, trainer.Optimizer.M);
        WriteArray(w, trainer.Optimizer.V);
        var head = trainer.Head;
        w.Write(head is null ? 0 : 1);
        if (head is not null)
        {
            WriteArray(w, head.Weight);
            WriteArray(w, head.Bias);
            WriteArray(w, trainer.HeadWeightOptimizer!.M);
            WriteArray(w, trainer.HeadWeightOptimizer.V);
            WriteArray(w, trainer.HeadBiasOptimizer!.M);
            WriteArray(w, trainer.HeadBiasOptimizer.V);
        }
        w.Flush();
        stream.Complete();
    }

    private static void ReadOptimizer(string path, PolicyTrainer trainer, TrainerCheckpointState state)
    {
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream);
        if (!r.ReadBytes(OptimizerMagic.Length).AsSpan().SequenceEqual(OptimizerMagic))
        {
            throw new InvalidDataException($"{path} is not an AlignStream optimizer state file");
        }
        var m = ReadArray(r);
        var v = ReadArray(r);
        trainer.Optimizer.Restore(m, v, state.OptimizerStep);
        var hasHead = r.ReadInt32() == 1;
        if (hasHead && trainer.Head is { } head)
        {
            ReadArray(r).CopyTo(head.Weight, 0);
            ReadArray(r).CopyTo(head.Bias, 0);
            var wm = ReadArray(r);
            var wv = ReadArray(r);
            trainer.HeadWeightOptimizer!.Restore(wm, wv, state.HeadOptimizerStep);
            var bm = ReadArray(r);
            var bv = ReadArray(r);
            trainer.HeadBiasOptimizer!.Restore(bm, bv, state.HeadOptimizerStep);
        }
    }

    private static void WriteArray(BinaryWriter w, float[] values)
    {
        w.Write((long)values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadArray(BinaryReader r)
    {
        var n = r.ReadInt64();
        if (n < 0 || n > int.MaxValue)
        {
            throw new InvalidDataException($"optimizer state array length {n} is invalid");
        }
        var values = new float[n];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        r.BaseStream.ReadExactly(bytes);
        return values;
    }
}
