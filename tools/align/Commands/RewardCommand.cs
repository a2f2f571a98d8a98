using AlignStream.Alignment.JsonLines;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align reward --rm NAME --input FILE.jsonl [--batch N] [--data DIR]`: adds "score" (and "rm") to each
/// {"text", "prompt"} line. Lexicon models read the data cache (ALIGN_DATA, or .cache/data found upward).
/// </summary>
public sealed class RewardCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "reward";

    /// <inheritdoc />
    public string Summary => "reward --rm afinn|vader|toxicity|arith|length|learned|arm --input FILE.jsonl [--batch N] [--target-length N] [--learned-path DIR] [--arm-path DIR]";

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var name = args.Required("rm", "reward model name");
        var input = args.Required("input", "a JSON-lines file, or - for standard input");
        var batch = args.Int("batch", RewardJsonLines.DefaultBatchSize);
        var data = args.String("data");
        var length = new LengthRewardOptions { Target = args.Int("target-length", new LengthRewardOptions().Target) };
        var engineModels = new EngineRewardModelOptions { LearnedPath = args.String("learned-path"), ArmPath = args.String("arm-path") };
        SelectCommand.RejectUnknown(args);
        if (batch < 1)
        {
            throw new UsageException("--batch must be at least 1");
        }
        IRewardModel model;
        try
        {
            var registry = new RewardModelRegistry(data, length);
            // The model-backed reward models (a trained folder each) are offered when their folder is given.
            EngineRewardModels.Register(registry, engineModels);
            model = registry.Get(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        catch (IOException e)
        {
            // Missing data cache or file: the message says to run `./align setup`.
            await Console.Error.WriteLineAsync($"align reward: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        using var reader = SelectCommand.OpenInput(input);
        if (reader is null)
        {
            await Console.Error.WriteLineAsync($"align reward: file not found: {input}").ConfigureAwait(false);
            return 1;
        }
        try
        {
            var report = await RewardJsonLines.RunAsync(model, reader, Console.Out, Console.Error, input, batch, cancellationToken).ConfigureAwait(false);
            return report.ExitCode;
        }
        catch (InvalidOperationException e)
        {
            // A non-finite score from the model: stop, naming the model and the item (RewardValidation's message).
            await Console.Error.WriteLineAsync($"align reward: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
