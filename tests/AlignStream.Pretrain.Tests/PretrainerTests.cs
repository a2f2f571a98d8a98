using System.Text.Json;
using AlignStream.Cli.Commands;
using AlignStream.Cli.Pretraining;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;

namespace AlignStream.Pretrain.Tests;

/// <summary>Short training runs of a tiny model: loss goes down, seeds reproduce, the folder loads.</summary>
public sealed class PretrainerTests
{
    private static readonly LlamaConfig Tiny = LlamaConfig.PresetS() with
    {
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 1,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 64,
    };

    private static readonly string[] Sentences =
    [
        "The cat sat on the mat.",
        "The dog ran to the park.",
        "A bird sang in the tree.",
        "The man read the paper.",
        "She went home early.",
        "They ate the red apples.",
    ];

    private static PretrainOptions Options(int steps, ulong seed) => new()
    {
        Config = Tiny,
        ConfigName = "tiny",
        Steps = steps,
        Seed = seed,
        BatchRows = 2,
        LearningRate = 1e-2,
        WarmupSteps = 5,
        Threads = 1,
        EvalEvery = 10,
        EvalRows = 2,
    };

    [Fact]
    public void Training_lowers_the_loss_on_its_own_data()
    {
        var docs = Sentences.Select(DocumentStream.Encode).ToList();
        var result = Pretrainer.Train(Options(60, 5) with { ArithmeticShare = 0 }, Sentences, Sentences);
        var before = Pretrainer.MeanLoss(LlamaModel.CreateRandom(Tiny, Xoshiro256.DeriveSeed(5, "weights")), docs);
        var after = Pretrainer.MeanLoss(result.Model, docs);
        // A fresh model is near uniform over 260 tokens (ln 260 ≈ 5.56 nats).
        Assert.InRange(before, 5.4, 5.7);
        Assert.True(after < before - 2.0, $"loss on its own data went from {before:F3} to {after:F3}; expected a drop of at least 2 nats");
        Assert.InRange(result.InitialHeldOutLoss, 5.4, 5.7);
        Assert.True(result.FinalHeldOutLoss < result.InitialHeldOutLoss - 2.0);
        Assert.Equal(60, result.Steps);
        Assert.Equal([10, 20, 30, 40, 50, 60], result.HeldOut.Select(h => h.Step));
        Assert.True(result.FinalTrainLoss < 4.0, $"final train loss {result.FinalTrainLoss:F3}");
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_and_another_seed_does_not()
    {
        var a = Pretrainer.Train(Options(8, 11), Sentences, Sentences);
        var b = Pretrainer.Train(Options(8, 11), Sentences, Sentences);
        var c = Pretrainer.Train(Options(8, 12), Sentences, Sentences);
        Assert.Equal(a.Model.Weights.Data, b.Model.Weights.Data);
        Assert.Equal(a.FinalTrainLoss, b.FinalTrainLoss);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.NotEqual(a.Model.Weights.Data, c.Model.Weights.Data);
    }

    [Fact]
    public void Run_writes_a_loadable_checkpoint_with_its_record_and_replaces_an_old_one()
    {
        var parent = Directory.CreateTempSubdirectory("pretrain-").FullName;
        try
        {
            var corpusDir = Path.Combine(parent, "brown");
            Directory.CreateDirectory(corpusDir);
            for (var i = 0; i < 10; i++)
            {
                File.WriteAllText(Path.Combine(corpusDir, $"ca0{i}"), $"\tThe/at cat/nn {i}/cd sat/vbd ./.\n\tA/at dog/nn ran/vbd ./.\n");
            }
            var corpus = BrownCorpus.LoadFrom(corpusDir, heldOutEvery: 5);
            var outDir = Path.Combine(parent, "models", "base");
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "stale.txt"), "an older build");
            var log = new StringWriter();
            var record = PretrainRun.Execute(Options(6, 3), outDir, "align pretrain --steps 6", new ProgressReporter(log, terminal: false), corpus);

            var model = LlamaModel.Load(outDir);
            Assert.Equal(Tiny.HiddenSize, model.Config.HiddenSize);
            Assert.False(File.Exists(Path.Combine(outDir, "stale.txt")));
            Assert.Equal(["base"], Directory.GetDirectories(Path.Combine(parent, "models")).Select(Path.GetFileName));

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, PretrainRecord.FileName)));
            var root = json.RootElement;
            Assert.Equal("align pretrain --steps 6", root.GetProperty("command").GetString());
            Assert.Contains("--steps 6 --seed 3", root.GetProperty("reproduce").GetString(), StringComparison.Ordinal);
            Assert.Equal(3UL, root.GetProperty("seed").GetUInt64());
            Assert.Equal(6, root.GetProperty("steps").GetInt32());
            Assert.Equal(record.Tokens, root.GetProperty("tokens").GetInt64());
            Assert.True(root.GetProperty("tokens").GetInt64() > 0);
            Assert.True(double.IsFinite(root.GetProperty("final_train_loss").GetDouble()));
            Assert.True(double.IsFinite(root.GetProperty("final_heldout_loss").GetDouble()));
            Assert.True(root.GetProperty("duration_s").GetDouble() > 0);
            Assert.InRange(root.GetProperty("arith_greedy_accuracy").GetDouble(), 0, 1);
            var split = root.GetProperty("corpus");
            Assert.Equal(8, split.GetProperty("train_files").GetInt32());
            Assert.Equal(["ca04", "ca09"], split.GetProperty("held_out_files").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(4, split.GetProperty("held_out_sentences").GetInt32());
            Assert.Equal(model.Weights.Data.Length, root.GetProperty("parameters").GetInt64());
            Assert.Contains("pretrain: step 6/6", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void Arithmetic_probe_gives_an_untrained_model_no_exact_answers()
    {
        // A random model spreads its mass over 260 tokens: an exact answer followed by a non-digit is vanishingly rare.
        var untrained = LlamaModel.CreateRandom(Tiny, 1);
        Assert.Equal(0.0, ArithmeticProbe.GreedyAccuracy(untrained, 20, seed: 4));
    }

    [Theory]
    [InlineData(new[] { "--steps", "0" }, "Steps (--steps) must be at least 1")]
    [InlineData(new[] { "--steps", "10", "--minutes", "2" }, "not both")]
    [InlineData(new[] { "--config", "Q" }, "--config must be S, M or XS")]
    [InlineData(new[] { "--lr", "fast" }, "--lr expects a number")]
    [InlineData(new[] { "--lr", "2" }, "LearningRate (--lr) must be in (0, 1)")]
    [InlineData(new[] { "--batch", "0" }, "BatchRows (--batch) must be at least 1")]
    [InlineData(new[] { "--threads", "0" }, "Threads (--threads)")]
    [InlineData(new[] { "--minutes", "-1" }, "Minutes (--minutes) must be a positive")]
    [InlineData(new[] { "--seed", "-4" }, "--seed expects a non-negative integer")]
    [InlineData(new[] { "--stpes", "4" }, "unknown option(s): --stpes")]
    [InlineData(new[] { "--arith-share", "1" }, "ArithmeticShare (--arith-share)")]
    [InlineData(new[] { "extra" }, "unexpected argument 'extra'")]
    public void Bad_flags_are_usage_errors_that_name_the_flag(string[] argv, string expected)
    {
        var e = Assert.Throws<UsageException>(() => PretrainCommand.ParseOptions(new CliArgs(argv), out _, out _));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_reach_the_options_and_default_to_a_time_budget()
    {
        var o = PretrainCommand.ParseOptions(new CliArgs(["--config", "xs", "--steps", "12", "--seed", "9", "--batch", "3", "--lr", "0.001", "--threads", "1", "--out", "somewhere"]), out var outDir, out var json);
        Assert.Equal(("XS", 12, (double?)null, 9UL, 3, 0.001, 1), (o.ConfigName, o.Steps!.Value, o.Minutes, o.Seed, o.BatchRows, o.LearningRate, o.Threads));
        Assert.Equal("somewhere", outDir);
        Assert.False(json);
        var d = PretrainCommand.ParseOptions(new CliArgs(["--out", "x"]), out _, out _);
        Assert.Equal((PretrainCommand.DefaultMinutes, (int?)null, "S"), (d.Minutes!.Value, d.Steps, d.ConfigName));
        Assert.Equal(256, d.Config.HiddenSize);
    }
}
