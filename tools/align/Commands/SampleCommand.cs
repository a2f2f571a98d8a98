using System.Text.Json;
using AlignStream.Engine.Blas;
using AlignStream.Engine.Inference;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align sample --model DIR --prompt TEXT --n N --seed S [--temperature T --top-k K --top-p P] --max-tokens M --json`:
/// N samples in one batch, sample i drawing from an RNG seeded with DeriveSeed(S, i); stops at the
/// model's EOS. Log-probs are the raw model's (temperature 1).
/// </summary>
public sealed class SampleCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "sample";

    /// <inheritdoc />
    public string Summary => "sample --model DIR --prompt TEXT --n N --seed S [--temperature T --top-k K --top-p P] --max-tokens M [--json] [--threads N]";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dir = args.Required("model", "a model folder with config.json and model.safetensors");
        var prompt = args.String("prompt") ?? "";
        var n = args.Int("n", 1);
        var seed = args.Long("seed", 0);
        var temperature = args.Double("temperature", 1.0);
        var topK = args.Int("top-k", 0);
        var topP = args.Double("top-p", 1.0);
        var maxTokens = args.Int("max-tokens", 64);
        var json = args.Flag("json");
        var threads = args.Int("threads", Math.Min(Environment.ProcessorCount, 4));
        LogprobsCommand.RejectUnread(args);
        if (n < 1)
        {
            throw new UsageException("--n must be at least 1");
        }
        if (threads < 1)
        {
            throw new UsageException("--threads must be at least 1");
        }
        Gemm.Configure(GemmBackend.Auto, threads);
        try
        {
            var model = LlamaModel.Load(dir, threads);
            var tokenizer = LogprobsCommand.LoadTokenizer(dir, model);
            var stops = model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds.ToArray() : tokenizer.EosId is int e ? [e] : [];
            var options = new SamplingOptions
            {
                Temperature = (float)temperature,
                TopK = topK,
                TopP = (float)topP,
                MaxNewTokens = maxTokens,
                StopTokens = stops,
            };
            try
            {
                options.Validate(model.Config.VocabSize);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message);
            }
            var promptTokens = LogprobsCommand.WithBos(tokenizer, tokenizer.Encode(prompt));
            if (promptTokens.Length == 0)
            {
                throw new UsageException("the tokenizer has no BOS token, so --prompt must not be empty");
            }
            var capacity = Math.Min(model.Config.MaxPositionEmbeddings, promptTokens.Length + maxTokens);
            if (promptTokens.Length >= capacity && maxTokens > 0)
            {
                Console.Error.WriteLine($"align sample: the prompt is {promptTokens.Length} tokens; the model's context is {model.Config.MaxPositionEmbeddings}");
                return Task.FromResult(1);
            }
            var generator = new AlignStream.Engine.Inference.Generator(model, n, Math.Max(capacity, promptTokens.Length + 1));
            var prompts = Enumerable.Repeat(promptTokens, n).ToArray();
            var rngs = Enumerable.Range(0, n).Select(i => new Xoshiro256(Xoshiro256.DeriveSeed((ulong)seed, (ulong)i))).ToArray();
            var results = generator.Generate(prompts, options, rngs);
            var samples = results.Select(r => new
            {
                text = tokenizer.Decode(r.Tokens, skipSpecialTokens: true),
                tokens = r.Tokens,
                logprobs = r.LogProbs.Select(x => (double)x).ToArray(),
            }).ToArray();
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { samples }));
            }
            else
            {
                for (var i = 0; i < samples.Length; i++)
                {
                    Console.WriteLine($"[{i}] ({results[i].StopReason}, sum log-prob {samples[i].logprobs.Sum():F4}) {samples[i].text}");
                }
            }
            return Task.FromResult(0);
        }
        catch (CheckpointFormatException e)
        {
            Console.Error.WriteLine($"align sample: {e.Message}");
            return Task.FromResult(1);
        }
    }
}
