using System.Diagnostics;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Blas;
using AlignStream.Engine.IO;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// A whole `align pretrain` run: load the corpus, train, and publish the checkpoint folder
/// (config.json, model.safetensors, pretrain.json) in one rename so readers never see half of it.
/// `align up` can call <see cref="Execute"/> to build the cached base model on first use.
/// </summary>
public static class PretrainRun
{
    /// <summary>Problems in the greedy arithmetic check recorded in pretrain.json.</summary>
    public const int ArithmeticProbeSize = 200;

    /// <summary>
    /// The cached base model under <paramref name="repoRoot"/> (`.cache/models/base`), built with the default
    /// budget of `align pretrain` first when it is missing. For `align up` on a fresh machine.
    /// </summary>
    public static string EnsureBaseModel(string repoRoot, ProgressReporter reporter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repoRoot);
        var path = Hosting.BaseModel.CachedPath(repoRoot);
        if (File.Exists(Path.Combine(path, "model.safetensors")))
        {
            return path;
        }
        var options = new PretrainOptions
        {
            Config = Engine.IO.LlamaConfig.PresetS(),
            Minutes = Commands.PretrainCommand.DefaultMinutes,
            Threads = Math.Clamp(Environment.ProcessorCount, 1, 4),
        };
        reporter.Note($"no cached base model: building one ({options.Minutes} minutes; later runs reuse {path})");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Execute(options, path, string.Create(inv, $"align up (first run: align pretrain --minutes {options.Minutes} --threads {options.Threads})"), reporter, cancellationToken: cancellationToken);
        return path;
    }

    /// <summary>Trains with <paramref name="options"/> and writes the folder <paramref name="outDirectory"/>; returns its record.</summary>
    public static PretrainRecord Execute(PretrainOptions options, string outDirectory, string command, ProgressReporter reporter,
        BrownCorpus? corpus = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outDirectory);
        ArgumentNullException.ThrowIfNull(reporter);
        options.Validate();
        var total = Stopwatch.StartNew();
        corpus ??= BrownCorpus.Load(options.HeldOutEvery);
        reporter.Note($"corpus {corpus.TrainFiles.Count} train files ({corpus.TrainSentences.Count} sentences), {corpus.HeldOutFiles.Count} held out ({corpus.HeldOutSentencesList.Count} sentences); arithmetic share {options.ArithmeticShare:P0}");
        reporter.Note($"config {options.ConfigName}: {options.Config}; {(options.Steps is { } s ? $"{s} steps" : $"{options.Minutes} minutes")}, seed {options.Seed}, {options.Threads} threads");
        var result = Pretrainer.Train(options, corpus.TrainSentences, corpus.HeldOutSentencesList, reporter.Report, cancellationToken);

        if (result.SkippedSteps > 0)
        {
            reporter.Note($"{result.SkippedSteps} step(s) had a non-finite loss or gradient and were skipped (recorded as skipped_steps)");
        }
        var arithmetic = ArithmeticProbe.GreedyAccuracy(result.Model, ArithmeticProbeSize, options.Seed);
        reporter.Note($"greedy exact answers on {ArithmeticProbeSize} fresh arithmetic problems: {arithmetic:P1}");
        var full = Path.GetFullPath(outDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"cannot write into a root folder: {outDirectory}", nameof(outDirectory));
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, "." + Path.GetFileName(full) + ".pretrain-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sha = result.Model.Save(staging, ByteTokenizer.Instance);
            var record = new PretrainRecord(
                command,
                Reproduce(options with { WarmupSteps = result.WarmupSteps }, result.Steps, outDirectory),
                options.Seed,
                options.ConfigName,
                options.Config.ParameterCount(),
                result.Steps,
                options.BatchRows,
                options.Config.MaxPositionEmbeddings,
                result.Tokens,
                result.SkippedSteps,
                options.LearningRate,
                result.WarmupSteps,
                options.Threads,
                Gemm.Describe(),
                result.InitialHeldOutLoss,
                result.FinalTrainLoss,
                result.FinalHeldOutLoss,
                arithmetic,
                result.TrainSeconds,
                total.Elapsed.TotalSeconds,
                result.TrainSeconds > 0 ? result.Tokens / result.TrainSeconds : 0,
                sha,
                DateTime.UtcNow,
                new CorpusSplitRecord(BrownCorpus.Package, PackageVersion(corpus), corpus.HeldOutEvery, corpus.TrainFiles.Count,
                    corpus.HeldOutFiles, corpus.TrainSentences.Count, corpus.HeldOutSentencesList.Count, result.ArithmeticTokenShare, result.Epochs),
                result.HeldOut.Select(h => new HeldOutRecord(h.Step, h.Tokens, h.TrainLoss, h.HeldOutLoss, h.ElapsedSeconds)).ToList());
            File.WriteAllText(Path.Combine(staging, PretrainRecord.FileName), record.ToJson());
            Publish(full, staging);
            return record;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The exact command line that rebuilds the same weights (a time budget is replaced by the step count it became).</summary>
    public static string Reproduce(PretrainOptions options, int steps, string outDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return string.Create(inv,
            $"align pretrain --config {options.ConfigName} --steps {steps} --seed {options.Seed} --batch {options.BatchRows} --lr {options.LearningRate.ToString("R", inv)} --warmup {options.WarmupSteps} --threads {options.Threads} --arith-share {options.ArithmeticShare.ToString("R", inv)} --eval-every {options.EvalEvery} --eval-rows {options.EvalRows} --held-out-every {options.HeldOutEvery} --weight-decay {options.WeightDecay.ToString("R", inv)} --clip {options.ClipNorm.ToString("R", inv)} --out {outDirectory}");
    }

    private static string PackageVersion(BrownCorpus corpus) =>
        DataFolder.PackageVersion(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(corpus.Folder)) ?? corpus.Folder, BrownCorpus.Package);

    // Two renames: an existing folder stays whole until the new one is in place.
    private static void Publish(string target, string staging)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        var old = target + ".old-" + Guid.NewGuid().ToString("N");
        Directory.Move(target, old);
        Directory.Move(staging, target);
        Directory.Delete(old, recursive: true);
    }
}
