using System.Globalization;
using System.Text.Json;
using AlignStream.Alignment.Models;
using AlignStream.Engine.Blas;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align segment --model DIR [--prompt TEXT] --text TEXT [--tau T] [--no-eos] [--json]`: entropy segment
/// boundaries (ALGORITHMS.md §5A) of TEXT as a response to PROMPT under the model; the EOS is appended
/// unless --no-eos. A folder without tokenizer.json uses the byte tokenizer.
/// </summary>
public sealed class SegmentCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "segment";

    /// <inheritdoc />
    public string Summary => "segment --model DIR [--prompt TEXT] --text TEXT [--tau T (nats, default 2)] [--no-eos] [--json] [--threads N]";

    /// <inheritdoc />
    public Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dir = args.Required("model", "a model folder with config.json and model.safetensors");
        var prompt = args.String("prompt") ?? "";
        var text = args.String("text") ?? throw new UsageException("missing --text (the response to segment)");
        var tau = args.Double("tau", 2.0);
        var noEos = args.Flag("no-eos");
        var json = args.Flag("json");
        var threads = args.Int("threads", Math.Min(Environment.ProcessorCount, 4));
        LogprobsCommand.RejectUnread(args);
        if (threads < 1)
        {
            throw new UsageException("--threads must be at least 1");
        }
        if (double.IsNaN(tau) || tau < 0)
        {
            throw new UsageException("--tau is an entropy threshold in nats and must be >= 0 (0 = one segment per token, 1000 = one segment)");
        }
        Gemm.Configure(GemmBackend.Auto, threads);
        try
        {
            var model = LlamaModel.Load(dir, threads);
            var tokenizer = LogprobsCommand.LoadTokenizer(dir, model);
            var result = EntropySegmentation.Compute(model, tokenizer, prompt, text, tau, appendEos: !noEos);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    tokens = result.Tokens,
                    entropies = result.Entropies,
                    segments = result.Segments.Select(s => new { start = s.Start, end = s.End, text = s.Text }),
                }));
            }
            else
            {
                for (var j = 0; j < result.Tokens.Length; j++)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{j,5} {result.Tokens[j],8} {result.Entropies[j],10:F4}  {tokenizer.Decode([result.Tokens[j]])}"));
                }
                foreach (var s in result.Segments)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"segment [{s.Start}, {s.End}] {JsonSerializer.Serialize(s.Text)}"));
                }
            }
            return Task.FromResult(0);
        }
        catch (Exception e) when (e is CheckpointFormatException or ArgumentException)
        {
            Console.Error.WriteLine($"align segment: {e.Message}");
            return Task.FromResult(1);
        }
    }
}
