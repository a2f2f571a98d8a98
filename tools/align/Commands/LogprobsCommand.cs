using System.Text.Json;
using AlignStream.Engine.Blas;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align logprobs --model DIR [--prompt TEXT] --text TEXT --json`: log-probabilities of the tokens of
/// TEXT, each scored after BOS (when the tokenizer has one), the prompt, and the text tokens before it.
/// The text is scored as given: no EOS is appended.
/// </summary>
public sealed class LogprobsCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "logprobs";

    /// <inheritdoc />
    public string Summary => "logprobs --model DIR [--prompt TEXT] --text TEXT [--json] [--threads N]";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dir = args.Required("model", "a model folder with config.json and model.safetensors");
        var prompt = args.String("prompt") ?? "";
        var text = args.String("text") ?? throw new UsageException("missing --text (the text to score)");
        var json = args.Flag("json");
        var threads = args.Int("threads", Math.Min(Environment.ProcessorCount, 4));
        RejectUnread(args);
        if (threads < 1)
        {
            throw new UsageException("--threads must be at least 1");
        }
        Gemm.Configure(GemmBackend.Auto, threads);
        try
        {
            var model = LlamaModel.Load(dir, threads);
            var tokenizer = LogprobsCommand.LoadTokenizer(dir, model);
            var promptTokens = WithBos(tokenizer, tokenizer.Encode(prompt));
            var tokens = tokenizer.Encode(text);
            if (promptTokens.Length == 0 && tokens.Length > 0)
            {
                Console.Error.WriteLine("align logprobs: the tokenizer has no BOS token and --prompt is empty, so the first token cannot be scored; pass --prompt");
                return Task.FromResult(1);
            }
            var total = promptTokens.Length + tokens.Length;
            if (total > model.Config.MaxPositionEmbeddings)
            {
                Console.Error.WriteLine($"align logprobs: prompt and text are {total} tokens; the model's context is {model.Config.MaxPositionEmbeddings} (max_position_embeddings)");
                return Task.FromResult(1);
            }
            var logprobs = new double[tokens.Length];
            double sum = 0;
            if (tokens.Length > 0)
            {
                var session = new TrainingSession(model, 1, total, total);
                session.Batch.Add(promptTokens, tokens);
                session.Forward(forBackward: false);
                var all = new float[total];
                session.SequenceLogProbs(0, all);
                for (var i = 0; i < tokens.Length; i++)
                {
                    logprobs[i] = all[promptTokens.Length + i];
                }
                sum = session.ResponseLogProbSum(0, promptTokens.Length);
            }
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { prompt_tokens = promptTokens, tokens, logprobs, sum }));
            }
            else
            {
                for (var i = 0; i < tokens.Length; i++)
                {
                    Console.WriteLine($"{tokens[i],8} {logprobs[i],12:F6}  {tokenizer.Decode([tokens[i]])}");
                }
                Console.WriteLine($"sum {sum:F6} over {tokens.Length} tokens after {promptTokens.Length} prompt tokens");
            }
            return Task.FromResult(0);
        }
        catch (CheckpointFormatException e)
        {
            Console.Error.WriteLine($"align logprobs: {e.Message}");
            return Task.FromResult(1);
        }
    }

    /// <summary>The folder's tokenizer, refused when it can produce ids the model has no embedding for.</summary>
    internal static ITokenizer LoadTokenizer(string dir, LlamaModel model)
    {
        var tokenizer = TokenizerLoader.ForModelFolder(dir);
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            throw new CheckpointFormatException(dir, "tokenizer",
                $"the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}; put a matching tokenizer.json in the folder (without one the byte tokenizer of {ByteTokenizer.VocabSizeConstant} ids is used).");
        }
        return tokenizer;
    }

    /// <summary>BOS (when the tokenizer has one) followed by the prompt tokens.</summary>
    internal static int[] WithBos(ITokenizer tokenizer, int[] prompt) =>
        tokenizer.BosId is int bos ? [bos, .. prompt] : prompt;

    /// <summary>Unknown options are usage errors so typos do not pass silently.</summary>
    internal static void RejectUnread(CliArgs args)
    {
        var unread = args.Unread().ToList();
        if (unread.Count > 0)
        {
            throw new UsageException("unknown option(s): " + string.Join(", ", unread.Select(u => "--" + u)));
        }
    }
}
