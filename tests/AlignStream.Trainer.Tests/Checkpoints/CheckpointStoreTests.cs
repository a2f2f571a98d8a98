using AlignStream.Engine.Tokenization;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Trainer.Checkpoints;
using AlignStream.Trainer.Options;
using AlignStream.Trainer.Tests.Support;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempFolder _dir = new("trainer-ckpt");

    public void Dispose() => _dir.Dispose();

    private static TrainerOptions Options(bool spo = false) => new()
    {
        BatchSize = 2,
        LearningRate = 1e-2,
        CheckpointDirectory = "unused",
        SpoLambda = spo ? 0.1 : 0,
    };

    private static PolicyTrainer Trained(int steps, bool spo = false)
    {
        var t = new PolicyTrainer(ToyModel.Create(), ByteTokenizer.Instance, Options(spo));
        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 2));
        for (var i = 0; i < steps; i++)
        {
            t.TrainStep(pairs);
        }
        return t;
    }

    private static TrainerCheckpointState State(PolicyTrainer t, Dictionary<int, long>? offsets = null) => new()
    {
        Step = t.Step,
        PolicyVersion = 3,
        Rng = [t.RngState.S0, t.RngState.S1, t.RngState.S2, t.RngState.S3],
        Topic = "align.pairs",
        Offsets = offsets ?? new() { [0] = 5, [2] = 9 },
        TrainedPairIds = ["a", "b"],
        OptimizerStep = t.Optimizer.Step,
        HeadOptimizerStep = t.HeadWeightOptimizer?.Step ?? 0,
        HasReference = true,
    };

    [Fact]
    public void A_restored_trainer_continues_exactly_like_the_original()
    {
        var original = Trained(3, spo: true);
        var store = new CheckpointStore(_dir.Path, keep: 2);
        store.Save(original, ByteTokenizer.Instance, State(original), [new LedgerEntry(3, ["a", "b"])]);

        var latest = new CheckpointStore(_dir.Path, keep: 2).OpenLatest();
        Assert.NotNull(latest);
        Assert.Equal(3, latest.State.Step);
        Assert.Equal(new Dictionary<int, long> { [0] = 5, [2] = 9 }, latest.State.Offsets);
        var restored = new PolicyTrainer(ToyModel.Create(), ByteTokenizer.Instance, Options(spo: true));
        CheckpointStore.Restore(restored, latest);
        Assert.Equal(original.Policy.Weights.Data, restored.Policy.Weights.Data);
        Assert.Equal(original.Optimizer.M, restored.Optimizer.M);
        Assert.Equal(original.Head!.Weight, restored.Head!.Weight);
        Assert.Equal(original.RngState, restored.RngState);

        var pairs = ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 2));
        var a = original.TrainStep(pairs);
        var b = restored.TrainStep(pairs);
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(original.Policy.Weights.Data, restored.Policy.Weights.Data);
    }

    [Fact]
    public void The_ledger_is_completed_from_the_checkpoint_after_a_crash_before_the_append()
    {
        var t = Trained(2);
        var store = new CheckpointStore(_dir.Path, keep: 3);
        store.Save(t, ByteTokenizer.Instance, State(t), [new LedgerEntry(1, ["a"]), new LedgerEntry(2, ["b"])]);
        t.TrainStep(ToyModel.Decode(ToyModel.Pairs(ToyModel.Create(), 1)));
        store.Save(t, ByteTokenizer.Instance, State(t), [new LedgerEntry(3, ["c"])]);
        // Simulate the crash: the rename happened, the ledger append did not, and a torn line was left behind.
        var lines = File.ReadAllLines(store.LedgerPath);
        File.WriteAllText(store.LedgerPath, lines[0] + "\n" + lines[1] + "\n{\"step\":3,\"pairI");
        // A half-written checkpoint folder from the crash is removed on open.
        Directory.CreateDirectory(Path.Combine(_dir.Path, ".tmp-ckpt-000000000004-00000003-x"));

        var reopened = new CheckpointStore(_dir.Path, keep: 3);
        var latest = reopened.OpenLatest();
        Assert.Equal(3, latest!.State.Step);
        var ledger = reopened.ReadLedger();
        Assert.Equal([1L, 2L, 3L], ledger.Select(e => e.Step));
        Assert.Equal(["a", "b", "c"], ledger.SelectMany(e => e.PairIds));
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".tmp-*"));
    }

    [Fact]
    public void Ledger_steps_beyond_the_latest_checkpoint_are_cut()
    {
        var t = Trained(1);
        var store = new CheckpointStore(_dir.Path, keep: 3);
        store.Save(t, ByteTokenizer.Instance, State(t), [new LedgerEntry(1, ["a"])]);
        File.AppendAllText(store.LedgerPath, "{\"step\":2,\"pairIds\":[\"z\"]}\n");
        store.OpenLatest();
        Assert.Equal(["a"], store.ReadLedger().SelectMany(e => e.PairIds));
    }

    [Fact]
    public void An_unchanged_reference_is_linked_from_the_earlier_checkpoint_and_outlives_its_pruning()
    {
        var t = Trained(1);
        var store = new CheckpointStore(_dir.Path, keep: 1);
        var first = store.Save(t, ByteTokenizer.Instance, State(t), []);
        var referenceFile = Path.Combine(CheckpointStore.ReferenceDirectory(first), "model.safetensors");
        var stored = File.ReadAllBytes(referenceFile);
        var original = t.Reference.Weights.Data.ToArray();

        // White box: change the in-memory reference without telling the store. A linked reference keeps the earlier
        // checkpoint's bytes; a written one would carry this change.
        t.Reference.Weights.Data[0] += 1f;
        var second = store.Save(t, ByteTokenizer.Instance, State(t), [], referenceAsIn: first);
        Assert.False(Directory.Exists(first));
        Assert.Equal(stored, File.ReadAllBytes(Path.Combine(CheckpointStore.ReferenceDirectory(second), "model.safetensors")));
        Assert.Equal(
            Directory.EnumerateFiles(CheckpointStore.PolicyDirectory(second)).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(CheckpointStore.ReferenceDirectory(second)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var restored = new PolicyTrainer(ToyModel.Create(), ByteTokenizer.Instance, Options());
        CheckpointStore.Restore(restored, store.OpenLatest()!);
        Assert.Equal(original, restored.Reference.Weights.Data);

        // An earlier checkpoint without a reference (fixed refresh then) cannot lend one: the reference is written.
        var without = store.Save(t, ByteTokenizer.Instance, State(t) with { HasReference = false }, []);
        var third = store.Save(t, ByteTokenizer.Instance, State(t), [], referenceAsIn: without);
        var again = new PolicyTrainer(ToyModel.Create(), ByteTokenizer.Instance, Options());
        CheckpointStore.Restore(again, store.OpenLatest()!);
        Assert.Equal(third, store.OpenLatest()!.Directory);
        Assert.Equal(t.Reference.Weights.Data, again.Reference.Weights.Data);
        Assert.NotEqual(original[0], again.Reference.Weights.Data[0]);
    }

    [Fact]
    public void A_reference_refreshed_from_the_policy_is_linked_to_the_policy_file_of_the_same_checkpoint()
    {
        var t = Trained(2);
        t.CopyPolicyToReference();
        var store = new CheckpointStore(_dir.Path, keep: 2);
        // White box again: a reference that drifted in memory shows whether the file was linked or written.
        t.Reference.Weights.Data[0] += 1f;
        var folder = store.Save(t, ByteTokenizer.Instance, State(t), [], referenceIsPolicy: true);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(CheckpointStore.PolicyDirectory(folder), "model.safetensors")),
            File.ReadAllBytes(Path.Combine(CheckpointStore.ReferenceDirectory(folder), "model.safetensors")));
        var restored = new PolicyTrainer(ToyModel.Create(), ByteTokenizer.Instance, Options());
        CheckpointStore.Restore(restored, store.OpenLatest()!);
        Assert.Equal(t.Policy.Weights.Data, restored.Reference.Weights.Data);

        // Without a reference in the state, nothing is linked or written for it.
        var none = store.Save(t, ByteTokenizer.Instance, State(t) with { HasReference = false }, [], referenceIsPolicy: true);
        Assert.False(Directory.Exists(CheckpointStore.ReferenceDirectory(none)));
    }

    [Fact]
    public void Only_the_newest_checkpoints_are_kept()
    {
        var t = Trained(1);
        var store = new CheckpointStore(_dir.Path, keep: 2);
        for (var i = 0; i < 4; i++)
        {
            store.Save(t, ByteTokenizer.Instance, State(t), []);
        }
        var names = Directory.EnumerateDirectories(_dir.Path, "ckpt-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ckpt-000000000001-00000003", "ckpt-000000000001-00000004"], names);
        Assert.Equal("ckpt-000000000001-00000004", Path.GetFileName(store.OpenLatest()!.Directory));
    }

    [Fact]
    public void A_second_trainer_cannot_take_the_same_folder()
    {
        var store = new CheckpointStore(_dir.Path, keep: 1);
        using (store.AcquireLock())
        {
            var ex = Assert.Throws<InvalidOperationException>(() => new CheckpointStore(_dir.Path, keep: 1).AcquireLock());
            Assert.Contains("Trainer:CheckpointDirectory", ex.Message, StringComparison.Ordinal);
        }
        using var again = store.AcquireLock();
    }
}
