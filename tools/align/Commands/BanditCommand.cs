using AlignStream.Alignment.Bandit;
using AlignStream.Alignment.JsonLines;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align bandit replay --input FILE.jsonl [--arms K] [--alpha A] [--normalization quantile|none] [--raw-contexts]`:
/// replays LASeR LinUCB selections and feedback and prints every choice with its UCB values.
/// </summary>
public sealed class BanditCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "bandit";

    /// <inheritdoc />
    public string Summary => "bandit replay --input FILE.jsonl [--arms K] [--alpha A] [--normalization quantile|none] [--raw-contexts]";

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Positional.Count != 1 || args.Positional[0] != "replay")
        {
            throw new UsageException("expected `bandit replay --input FILE.jsonl`");
        }
        var input = args.Required("input", "a JSON-lines file of selection and feedback events");
        var armsGiven = args.Has("arms") ? args.Int("arms", 0) : (int?)null;
        var alpha = args.Double("alpha", 0.1);
        var normalization = args.String("normalization") switch
        {
            null or "quantile" => RewardNormalization.Quantile,
            "none" => RewardNormalization.None,
            var other => throw new UsageException($"--normalization must be quantile or none (got '{other}')"),
        };
        var rawContexts = args.Flag("raw-contexts");
        SelectCommand.RejectUnknown(args);
        if (!File.Exists(input))
        {
            await Console.Error.WriteLineAsync($"align bandit: file not found: {input}").ConfigureAwait(false);
            return 1;
        }
        // The replay needs K and d up front: K from --arms or the largest arm in the file, d from the first context.
        var lines = await File.ReadAllLinesAsync(input, cancellationToken).ConfigureAwait(false);
        var dimension = BanditReplayJsonLines.DimensionIn(lines);
        if (dimension is null or 0)
        {
            await Console.Error.WriteLineAsync($"align bandit: {input} has no non-empty \"context\" array, so the context width is unknown").ConfigureAwait(false);
            return 1;
        }
        LinUcbBandit bandit;
        try
        {
            bandit = new LinUcbBandit(new LinUcbOptions
            {
                Arms = armsGiven ?? BanditReplayJsonLines.ArmsIn(lines),
                Dimension = dimension.Value,
                Alpha = alpha,
                Normalization = normalization,
                NormalizeContexts = !rawContexts,
            });
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        using var reader = new StringReader(string.Join('\n', lines));
        return BanditReplayJsonLines.Run(bandit, reader, Console.Out, Console.Error, input).ExitCode;
    }
}
