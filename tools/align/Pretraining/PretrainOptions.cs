using AlignStream.Engine.IO;

namespace AlignStream.Cli.Pretraining;

/// <summary>Settings of one pretraining run; <see cref="Validate"/> names the field and the fix.</summary>
public sealed record PretrainOptions
{
    /// <summary>Model architecture (byte vocabulary).</summary>
    public required LlamaConfig Config { get; init; }

    /// <summary>Name of the preset the config came from (recorded).</summary>
    public string ConfigName { get; init; } = "S";

    /// <summary>Exact number of optimizer steps; when null, <see cref="Minutes"/> sets the budget.</summary>
    public int? Steps { get; init; }

    /// <summary>Wall-clock training budget, turned into a step count by timing a few steps before training.</summary>
    public double? Minutes { get; init; }

    /// <summary>Seed of the initial weights and of the data order.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Rows of up to the context length per step.</summary>
    public int BatchRows { get; init; } = 8;

    /// <summary>Peak learning rate. At 2e-3 without weight decay config S's attention scores outgrew the engine's softmax (NaN near step 140).</summary>
    public double LearningRate { get; init; } = 1.5e-3;

    /// <summary>Linear warmup steps (capped at a tenth of the run).</summary>
    public int WarmupSteps { get; init; } = 30;

    /// <summary>Cosine decays to this fraction of the peak.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>AdamW decoupled weight decay; it also keeps query/key weights, and so attention scores, bounded.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Global gradient-norm clip.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>GEMM and attention threads (weights are bit-identical run to run for a fixed count).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Share of training tokens that are arithmetic strings.</summary>
    public double ArithmeticShare { get; init; } = 0.2;

    /// <summary>Held-out loss every this many steps (and at the end); 0 only at the end.</summary>
    public int EvalEvery { get; init; } = 50;

    /// <summary>Rows of held-out text the held-out loss is measured on.</summary>
    public int EvalRows { get; init; } = 16;

    /// <summary>Every N-th corpus file is held out.</summary>
    public int HeldOutEvery { get; init; } = BrownCorpus.DefaultHeldOutEvery;

    /// <summary>Throws <see cref="ArgumentException"/> naming every bad field.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (Steps is null == Minutes is null)
        {
            problems.Add("give exactly one of Steps (--steps N) or Minutes (--minutes M)");
        }
        if (Steps is < 1)
        {
            problems.Add($"Steps (--steps) must be at least 1, got {Steps}");
        }
        if (Minutes is { } m && !(m > 0 && m < 10_000))
        {
            problems.Add($"Minutes (--minutes) must be a positive number of minutes, got {m}");
        }
        if (BatchRows < 1)
        {
            problems.Add($"BatchRows (--batch) must be at least 1, got {BatchRows}");
        }
        if (!(LearningRate > 0 && LearningRate < 1))
        {
            problems.Add($"LearningRate (--lr) must be in (0, 1), got {LearningRate}; 2e-3 suits config S");
        }
        if (WarmupSteps < 0)
        {
            problems.Add($"WarmupSteps (--warmup) must be zero or positive, got {WarmupSteps}");
        }
        if (MinLearningRateRatio is < 0 or > 1 || double.IsNaN(MinLearningRateRatio))
        {
            problems.Add($"MinLearningRateRatio must be in [0, 1], got {MinLearningRateRatio}");
        }
        if (!(WeightDecay >= 0))
        {
            problems.Add($"WeightDecay (--weight-decay) must be zero or positive, got {WeightDecay}");
        }
        if (!(ClipNorm > 0))
        {
            problems.Add($"ClipNorm (--clip) must be positive, got {ClipNorm}");
        }
        if (Threads is < 1 or > 256)
        {
            problems.Add($"Threads (--threads) must be in 1..256, got {Threads}");
        }
        if (ArithmeticShare is < 0 or >= 1 || double.IsNaN(ArithmeticShare))
        {
            problems.Add($"ArithmeticShare (--arith-share) must be in [0, 1), got {ArithmeticShare}");
        }
        if (EvalEvery < 0)
        {
            problems.Add($"EvalEvery (--eval-every) must be zero or positive, got {EvalEvery}");
        }
        if (EvalRows < 1)
        {
            problems.Add($"EvalRows (--eval-rows) must be at least 1, got {EvalRows}");
        }
        if (HeldOutEvery < 2)
        {
            problems.Add($"HeldOutEvery (--held-out-every) must be at least 2, got {HeldOutEvery}");
        }
        if (Config is null)
        {
            problems.Add("Config is required");
        }
        else if (Config.VocabSize < Engine.Tokenization.ByteTokenizer.VocabSizeConstant)
        {
            problems.Add($"Config.VocabSize is {Config.VocabSize}; the byte tokenizer needs at least {Engine.Tokenization.ByteTokenizer.VocabSizeConstant}");
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid pretraining options: " + string.Join("; ", problems));
        }
    }
}
