using AlignStream.Alignment.Rewards;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;

namespace AlignStream.Cli.Demo;

/// <summary>
/// Evaluates the base model and then every new policy version on the fixed held-out eval set: gold metrics (VADER
/// compound of sentiment continuations, exact arithmetic accuracy) that training never sees, next to the proxy reward
/// the pipeline trains on (AFINN, the verifier). It follows the same signed pointer the generators follow, verifies
/// each version before loading it, and when versions arrive faster than it evaluates, it skips to the newest. Sampling
/// seeds are fixed per prompt and sample, so every version is judged on the same draws.
/// </summary>
public sealed partial class DemoEvaluator(
    DemoTasks tasks, DemoRun run, IStateStore state, WeightStoreDirectory store, ILogger<DemoEvaluator> logger) : BackgroundService
{
    private VaderRewardModel? _vader;
    private AfinnRewardModel? _afinn;
    private readonly ArithmeticRewardModel _verifier = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var root = DataFolder.Locate();
        _vader = VaderRewardModel.Load(root);
        _afinn = AfinnRewardModel.Load(root);
        try
        {
            var baseResults = await Task.Run(() => Evaluate(run.BaseCheckpoint, stoppingToken), stoppingToken).ConfigureAwait(false);
            run.RecordEval(0, run.BaseCheckpoint, baseResults);
            LogEvaluated(0, Describe(baseResults));
            while (!stoppingToken.IsCancellationRequested)
            {
                var manifest = await state.GetManifestAsync(ManifestKind.Policy, stoppingToken).ConfigureAwait(false);
                if (manifest is null || manifest.Version <= run.EvaluatedVersion)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var verified = await store.VerifyAsync(manifest, stoppingToken).ConfigureAwait(false);
                if (!verified.Ok || verified.Directory is null)
                {
                    LogRefused(manifest.Version, verified.Detail);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var results = await Task.Run(() => Evaluate(verified.Directory, stoppingToken), stoppingToken).ConfigureAwait(false);
                run.RecordEval(manifest.Version, verified.Directory, results);
                LogEvaluated(manifest.Version, Describe(results));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Evaluates the checkpoint in <paramref name="folder"/> on every task of the run.</summary>
    public IReadOnlyList<TaskEval> Evaluate(string folder, CancellationToken cancellationToken)
    {
        var model = LlamaModel.Load(folder, threads: 1);
        var tokenizer = TokenizerLoader.ForModelFolder(folder);
        return tasks.Options.Tasks.Select(t =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return EvaluateTask(model, tokenizer, t);
        }).ToArray();
    }

    private TaskEval EvaluateTask(LlamaModel model, ITokenizer tokenizer, string task)
    {
        var options = tasks.Options;
        var prompts = tasks.Eval(task);
        var arith = task == DemoTasks.Arith;
        var samples = options.EvalTemperature == 0 ? 1 : options.EvalSamples;
        var stop = tokenizer.EosId is int eos ? new[] { eos } : [];
        var sampling = new SamplingOptions { Temperature = options.EvalTemperature, MaxNewTokens = arith ? options.ArithTokens : options.SentimentTokens, StopTokens = stop };
        var encoded = new List<(int Prompt, int Sample, int[] Tokens)>();
        for (var p = 0; p < prompts.Count; p++)
        {
            int[] tokens = tokenizer.BosId is int bos ? [bos, .. tokenizer.Encode(prompts[p].Text)] : tokenizer.Encode(prompts[p].Text);
            for (var s = 0; s < samples; s++)
            {
                encoded.Add((p, s, tokens));
            }
        }
        var texts = new string[encoded.Count];
        const int Batch = 64;
        var capacity = Math.Min(model.Config.MaxPositionEmbeddings, encoded.Max(e => e.Tokens.Length) + sampling.MaxNewTokens);
        var generator = new AlignStream.Engine.Inference.Generator(model, Math.Min(Batch, encoded.Count), capacity);
        for (var start = 0; start < encoded.Count; start += Batch)
        {
            var chunk = encoded.Skip(start).Take(Batch).ToArray();
            var rngs = chunk.Select(e => new Xoshiro256(Xoshiro256.DeriveSeed(options.Seed, $"eval-{task}-{e.Prompt}-{e.Sample}"))).ToArray();
            var results = generator.Generate(chunk.Select(e => e.Tokens).ToArray(), sampling, rngs);
            for (var i = 0; i < chunk.Length; i++)
            {
                texts[start + i] = tokenizer.Decode(results[i].Tokens, skipSpecialTokens: true);
            }
        }
        var inputs = encoded.Select((e, i) => new RewardInput(prompts[e.Prompt].Text, texts[i], task)).ToArray();
        var proxy = (arith ? _verifier : (IRewardModel)_afinn!).ScoreAsync(inputs, CancellationToken.None).GetAwaiter().GetResult();
        var gold = new double[prompts.Count];
        for (var i = 0; i < encoded.Count; i++)
        {
            var score = arith ? (ArithmeticRewardModel.Score(prompts[encoded[i].Prompt].Text, texts[i]) > 0 ? 1.0 : 0.0) : _vader!.Compound(texts[i]);
            gold[encoded[i].Prompt] += score / samples;
        }
        var shown = encoded.Select((e, i) => (e, i)).Where(x => x.e.Sample == 0).Take(4).Select(x => prompts[x.e.Prompt].Text + "|" + texts[x.i]).ToArray();
        return new TaskEval(task, gold.Average(), proxy.Average(v => (double)v), gold, shown);
    }

    private static string Describe(IReadOnlyList<TaskEval> results) =>
        string.Join(", ", results.Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Task} gold {r.Gold:F3} proxy {r.Proxy:F3}")));

    [LoggerMessage(Level = LogLevel.Information, Message = "eval of policy version {Version}: {Results}")]
    private partial void LogEvaluated(long version, string results);

    [LoggerMessage(Level = LogLevel.Warning, Message = "eval skipped policy version {Version}: {Detail}")]
    private partial void LogRefused(long version, string detail);
}
