using System.Text.Json;
using AlignStream.Engine.Blas;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align dpo-step --model DIR --pairs FILE.jsonl --beta B --lr LR --out DIR2 --json [--weight-decay W] [--clip C] [--grads-out FILE] [--label-smoothing E]`:
/// one AdamW step (0.9/0.999, eps 1e-8) on the mean DPO loss, with the given model as both the initial
/// policy and the reference. Each line is {"prompt","chosen","rejected"}; the prompt is BOS + prompt
/// tokens and each response is scored as given (as `align logprobs` scores it).
/// </summary>
public sealed class DpoStepCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "dpo-step";

    /// <inheritdoc />
    public string Summary => "dpo-step --model DIR --pairs FILE.jsonl --beta B --lr LR --out DIR2 [--weight-decay W] [--clip C] [--grads-out FILE] [--label-smoothing E] [--json]";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dir = args.Required("model", "a model folder with config.json and model.safetensors");
        var pairsFile = args.Required("pairs", "a JSON-lines file of {\"prompt\",\"chosen\",\"rejected\"}");
        var beta = args.Double("beta", 0.1);
        var lr = args.Double("lr", double.NaN);
        var outDir = args.Required("out", "the folder to write the updated checkpoint to");
        var weightDecay = args.Double("weight-decay", 0);
        var clip = args.Double("clip", 0);
        var gradsOut = args.String("grads-out");
        var smoothing = args.Double("label-smoothing", 0);
        var json = args.Flag("json");
        var threads = args.Int("threads", Math.Min(Environment.ProcessorCount, 4));
        LogprobsCommand.RejectUnread(args);
        if (double.IsNaN(lr) || lr < 0)
        {
            throw new UsageException("--lr is required and must be zero or positive");
        }
        if (clip < 0)
        {
            throw new UsageException("--clip must be positive (0 or absent means no clipping)");
        }
        if (threads < 1)
        {
            throw new UsageException("--threads must be at least 1");
        }
        var dpo = new DpoOptions(beta, smoothing);
        var adamOptions = new AdamWOptions(WeightDecay: weightDecay);
        try
        {
            dpo.Validate();
            adamOptions.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        if (!File.Exists(pairsFile))
        {
            Console.Error.WriteLine($"align dpo-step: pairs file not found: {pairsFile}");
            return Task.FromResult(1);
        }
        Gemm.Configure(GemmBackend.Auto, threads);
        try
        {
            var model = LlamaModel.Load(dir, threads);
            var tokenizer = LogprobsCommand.LoadTokenizer(dir, model);
            var texts = ReadPairs(pairsFile, out var error);
            if (texts is null)
            {
                Console.Error.WriteLine($"align dpo-step: {error}");
                return Task.FromResult(1);
            }
            var tokenized = texts.Select(t => (Prompt: LogprobsCommand.WithBos(tokenizer, tokenizer.Encode(t.Prompt)), Chosen: tokenizer.Encode(t.Chosen), Rejected: tokenizer.Encode(t.Rejected))).ToList();
            var maxLen = tokenized.Max(t => t.Prompt.Length + Math.Max(t.Chosen.Length, t.Rejected.Length));
            if (tokenized.Any(t => t.Prompt.Length == 0))
            {
                Console.Error.WriteLine("align dpo-step: the tokenizer has no BOS token and a prompt is empty; every prompt needs a token");
                return Task.FromResult(1);
            }
            if (maxLen > model.Config.MaxPositionEmbeddings)
            {
                Console.Error.WriteLine($"align dpo-step: a pair is {maxLen} tokens long; the model's context is {model.Config.MaxPositionEmbeddings}");
                return Task.FromResult(1);
            }
            var totalTokens = tokenized.Sum(t => (2 * t.Prompt.Length) + t.Chosen.Length + t.Rejected.Length);
            var session = new TrainingSession(model, 2 * tokenized.Count, totalTokens, maxLen);

            // The reference is the initial policy: score every response once without gradients.
            foreach (var t in tokenized)
            {
                session.Batch.Add(t.Prompt, t.Chosen);
                session.Batch.Add(t.Prompt, t.Rejected);
            }
            session.Forward(forBackward: false);
            var pairs = tokenized.Select((t, i) => new PreferencePairTokens(t.Prompt, t.Chosen, t.Rejected,
                session.ResponseLogProbSum(2 * i, t.Prompt.Length), session.ResponseLogProbSum((2 * i) + 1, t.Prompt.Length))).ToList();

            session.ZeroGradients();
            var result = DpoTrainer.ForwardBackward(session, pairs, dpo);
            if (gradsOut is not null)
            {
                var grads = model.Layout.Specs.Select(s => new TensorToWrite(s.Name, s.Shape, session.Gradients.Data.AsMemory(model.Layout.Offset(s.Name), (int)s.ElementCount)));
                var parent = Path.GetDirectoryName(Path.GetFullPath(gradsOut));
                if (parent is not null)
                {
                    Directory.CreateDirectory(parent);
                }
                SafeTensorsWriter.Write(gradsOut, grads);
            }
            double? norm = null;
            if (clip > 0)
            {
                norm = GradientClipping.ClipGlobalNorm(session.Gradients.Data, clip);
            }
            var adam = new AdamW(model.Layout, adamOptions);
            adam.Update(model.Weights.Data, session.Gradients.Data, lr);
            model.Save(outDir, tokenizer is BpeTokenizer ? tokenizer : null);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { loss = result.Loss }));
            }
            else
            {
                Console.WriteLine($"loss {result.Loss:F6} over {pairs.Count} pairs{(norm is double g ? $", grad norm {g:F4} clipped to {clip}" : "")}; wrote {outDir}");
            }
            return Task.FromResult(0);
        }
        catch (CheckpointFormatException e)
        {
            Console.Error.WriteLine($"align dpo-step: {e.Message}");
            return Task.FromResult(1);
        }
    }

    private static List<(string Prompt, string Chosen, string Rejected)>? ReadPairs(string file, out string? error)
    {
        var list = new List<(string, string, string)>();
        var line = 0;
        foreach (var raw in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var root = doc.RootElement;
                string Field(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()!
                    : throw new FormatException($"field \"{name}\" is missing or not a string");
                list.Add((Field("prompt"), Field("chosen"), Field("rejected")));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                error = $"{file}:{line}: {e.Message}; each line must be {{\"prompt\": ..., \"chosen\": ..., \"rejected\": ...}}";
                return null;
            }
        }
        if (list.Count == 0)
        {
            error = $"{file} holds no pairs";
            return null;
        }
        error = null;
        return list;
    }
}
