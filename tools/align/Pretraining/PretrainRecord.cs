using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignStream.Cli.Pretraining;

/// <summary>The corpus split a run trained on.</summary>
public sealed record CorpusSplitRecord(
    [property: JsonPropertyName("package")] string Package,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("held_out_every")] int HeldOutEvery,
    [property: JsonPropertyName("train_files")] int TrainFiles,
    [property: JsonPropertyName("held_out_files")] IReadOnlyList<string> HeldOutFiles,
    [property: JsonPropertyName("train_sentences")] int TrainSentences,
    [property: JsonPropertyName("held_out_sentences")] int HeldOutSentences,
    [property: JsonPropertyName("arithmetic_token_share")] double ArithmeticTokenShare,
    [property: JsonPropertyName("epochs_completed")] int EpochsCompleted);

/// <summary>A held-out measurement as written to pretrain.json.</summary>
public sealed record HeldOutRecord(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("heldout_loss")] double HeldOutLoss,
    [property: JsonPropertyName("time_s")] double TimeSeconds);

/// <summary>
/// pretrain.json, written next to the checkpoint: how to rebuild it exactly (command, seed, steps,
/// threads) and what came out (losses, tokens, time). Losses are nats per byte token.
/// </summary>
public sealed record PretrainRecord(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("reproduce")] string Reproduce,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("parameters")] long Parameters,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("batch_rows")] int BatchRows,
    [property: JsonPropertyName("context")] int Context,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("skipped_steps")] int SkippedSteps,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("warmup_steps")] int WarmupSteps,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("gemm")] string Gemm,
    [property: JsonPropertyName("initial_heldout_loss")] double InitialHeldOutLoss,
    [property: JsonPropertyName("final_train_loss")] double FinalTrainLoss,
    [property: JsonPropertyName("final_heldout_loss")] double FinalHeldOutLoss,
    [property: JsonPropertyName("arith_greedy_accuracy")] double ArithmeticGreedyAccuracy,
    [property: JsonPropertyName("train_seconds")] double TrainSeconds,
    [property: JsonPropertyName("duration_s")] double DurationSeconds,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    [property: JsonPropertyName("weights_sha256")] string WeightsSha256,
    [property: JsonPropertyName("finished_utc")] DateTime FinishedUtc,
    [property: JsonPropertyName("corpus")] CorpusSplitRecord Corpus,
    [property: JsonPropertyName("heldout")] IReadOnlyList<HeldOutRecord> HeldOut)
{
    /// <summary>File name inside the checkpoint folder.</summary>
    public const string FileName = "pretrain.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The record as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Indented);
}
