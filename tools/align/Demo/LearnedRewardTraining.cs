using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Cli.Pretraining;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Demo;

/// <summary>
/// Trains the demo's <c>learned</c> reward model: the base model's backbone with a scalar head, fitted Bradley–Terry on
/// preference pairs built from the Brown *training* sentences (the demo's prompts and eval set come from the held-out
/// files). A pair shares one sentence opening as prompt; its chosen and rejected continuations are the openings'
/// remainders (cut to the demo's continuation length) with the higher and the lower AFINN score. The model thus learns
/// AFINN's preferences from text and generalises them past the lexicon through the backbone: a second sentiment arm
/// whose mistakes differ from the lexicon's. Accuracy on pairs held out of training is recorded in rm.json.
/// </summary>
public static class LearnedRewardTraining
{
    public const string RecordFile = "rm.json";

    /// <summary>Settings of one training run.</summary>
    public sealed record Settings(double Minutes = 2, int? Steps = null, ulong Seed = 1, int BatchPairs = 16, int PromptWords = 6, int ContinuationChars = 40,
        double LearningRate = 1e-4, double HeadLearningRate = 1e-3, int Threads = 2);

    /// <summary>The cached model under <paramref name="repoRoot"/>, trained first (with progress) when missing.</summary>
    public static string Ensure(string repoRoot, string baseModel, ProgressReporter reporter, CancellationToken cancellationToken)
    {
        var path = Hosting.BaseModel.CachedLearnedRewardModelPath(repoRoot);
        if (File.Exists(Path.Combine(path, "model.safetensors")))
        {
            return path;
        }
        var settings = new Settings(Threads: Math.Clamp(Environment.ProcessorCount, 1, 4));
        reporter.Note($"no cached training one ({settings.Minutes} minutes; later runs reuse {path})");
        Train(baseModel, path, settings, "align up (first run: align train-rm)", reporter, cancellationToken);
        return path;
    }

    /// <summary>Builds the preference pairs (seeded); the last tenth is held out.</summary>
    public static (List<PreferenceText> Train, List<PreferenceText> HeldOut) Pairs(IReadOnlyList<string> sentences, AfinnRewardModel afinn, Settings settings)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(afinn);
        var items = new List<(string Prompt, string Tail, double Score)>();
        foreach (var s in sentences)
        {
            if (DemoTasks.Opening(s, settings.PromptWords) is not { } opening)
            {
                continue;
            }
            var rest = s[opening.Length..];
            if (rest.Length > settings.ContinuationChars)
            {
                rest = rest[..settings.ContinuationChars];
            }
            items.Add((opening, rest, afinn.Score(rest)));
        }
        var rng = new Xoshiro256(Xoshiro256.DeriveSeed(settings.Seed, "learned-rm-pairs"));
        var scored = items.Where(i => i.Score != 0).ToList();
        var neutral = items.Where(i => i.Score == 0).ToList();
        if (scored.Count < 20 || neutral.Count < 20)
        {
            throw new InvalidOperationException($"the Brown training sentences gave {scored.Count} scored and {neutral.Count} neutral continuations; too few to train a reward model");
        }
        var pairs = new List<PreferenceText>();
        foreach (var item in scored)
        {
            // Against a neutral continuation and against another scored one, so both the sign and the size are learned.
            var n = neutral[rng.NextInt(neutral.Count)];
            var other = scored[rng.NextInt(scored.Count)];
            pairs.Add(item.Score > 0 ? new PreferenceText(item.Prompt, item.Tail, n.Tail) : new PreferenceText(item.Prompt, n.Tail, item.Tail));
            if (other.Score != item.Score)
            {
                pairs.Add(item.Score > other.Score ? new PreferenceText(item.Prompt, item.Tail, other.Tail) : new PreferenceText(item.Prompt, other.Tail, item.Tail));
            }
        }
        for (var i = pairs.Count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (pairs[i], pairs[j]) = (pairs[j], pairs[i]);
        }
        var heldOut = Math.Max(16, pairs.Count / 10);
        return (pairs.Take(pairs.Count - heldOut).ToList(), pairs.Skip(pairs.Count - heldOut).ToList());
    }

    /// <summary>Trains and saves the model to <paramref name="outDirectory"/>; returns the held-out accuracy after training.</summary>
    public static double Train(string baseModel, string outDirectory, Settings settings, string command, ProgressReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = DataFolder.Locate();
        var afinn = AfinnRewardModel.Load(data);
        var (train, heldOut) = Pairs(BrownCorpus.Load().TrainSentences, afinn, settings);
        var backbone = LlamaModel.Load(baseModel, settings.Threads);
        var model = LearnedRewardModel.Create(backbone, TokenizerLoader.ForModelFolder(baseModel), settings.Seed);
        var maxTokens = settings.BatchPairs * 2 * Math.Min(backbone.Config.MaxPositionEmbeddings, 32 + (settings.PromptWords * 12) + settings.ContinuationChars);
        var trainer = new BradleyTerryTrainer(model, new BradleyTerryOptions { LearningRate = settings.LearningRate, HeadLearningRate = settings.HeadLearningRate },
            settings.BatchPairs, maxTokens);
        var before = BradleyTerryTrainer.Accuracy(model, heldOut);
        reporter.Note(string.Create(CultureInfo.InvariantCulture, $"{train.Count} training pairs, {heldOut.Count} held out; held-out accuracy before {before:F3}"));
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromMinutes(settings.Minutes);
        var steps = 0;
        var losses = new Queue<double>();
        var next = 0;
        while (!cancellationToken.IsCancellationRequested && (settings.Steps is int max ? steps < max : clock.Elapsed < budget))
        {
            if (next + settings.BatchPairs > train.Count)
            {
                next = 0;
            }
            var loss = trainer.Step(train.GetRange(next, settings.BatchPairs));
            next += settings.BatchPairs;
            steps++;
            losses.Enqueue(loss);
            if (losses.Count > 20)
            {
                losses.Dequeue();
            }
            if (steps % 25 == 0)
            {
                var left = settings.Steps is int s ? clock.Elapsed.TotalSeconds / steps * (s - steps) : (budget - clock.Elapsed).TotalSeconds;
                reporter.Note(string.Create(CultureInfo.InvariantCulture, $"step {steps}  loss {losses.Average():F3}  eta {ProgressReporter.Duration(left)}"));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        var after = BradleyTerryTrainer.Accuracy(model, heldOut);
        Directory.CreateDirectory(outDirectory);
        model.Save(outDirectory);
        var record = new Dictionary<string, object>
        {
            ["command"] = command,
            ["base_model"] = Path.GetFileName(Path.GetFullPath(baseModel)),
            ["seed"] = settings.Seed,
            ["steps"] = steps,
            ["batch_pairs"] = settings.BatchPairs,
            ["train_pairs"] = train.Count,
            ["held_out_pairs"] = heldOut.Count,
            ["held_out_accuracy_before"] = before,
            ["held_out_accuracy"] = after,
            ["labels"] = "AFINN-165 score of the continuation (Brown training files only)",
            ["seconds"] = clock.Elapsed.TotalSeconds,
        };
        File.WriteAllText(Path.Combine(outDirectory, RecordFile), JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
        reporter.Note(string.Create(CultureInfo.InvariantCulture, $"{steps} steps in {ProgressReporter.Duration(clock.Elapsed.TotalSeconds)}; held-out accuracy {before:F3} -> {after:F3}; wrote {outDirectory}"));
        return after;
    }
}
