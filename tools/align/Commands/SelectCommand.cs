using AlignStream.Alignment.JsonLines;
using AlignStream.Alignment.Selection;

namespace AlignStream.Cli.Commands;

/// <summary>
/// `align select --selector bon|max-min|rbon-kl|rbon-wd|next-k --beta B [--rejected regularized|worst|random --seed S]
/// [--min-margin M] [--next-k K] [--exclude-self] --input FILE.jsonl`: preference pairs per prompt as JSON lines.
/// </summary>
public sealed class SelectCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "select";

    /// <inheritdoc />
    public string Summary => "select --selector bon|max-min|rbon-kl|rbon-wd|next-k --beta B [--rejected regularized|worst|random --seed S] --input FILE.jsonl";

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SelectorOptions
        {
            Selector = args.Required("selector", string.Join("|", PairSelectorFactory.Names)),
            Beta = args.Double("beta", 0),
            Rejected = ParseRejected(args.String("rejected")),
            Seed = args.Int("seed", 0),
            MinMargin = args.Double("min-margin", 0),
            NextK = args.Int("next-k", 10),
            ExcludeSelfSimilarity = args.Flag("exclude-self"),
        };
        var input = args.Required("input", "a JSON-lines file, or - for standard input");
        RejectUnknown(args);
        IPairSelector selector;
        try
        {
            selector = PairSelectorFactory.Create(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        using var reader = OpenInput(input);
        if (reader is null)
        {
            await Console.Error.WriteLineAsync($"align select: file not found: {input}").ConfigureAwait(false);
            return 1;
        }
        var report = SelectJsonLines.Run(selector, reader, Console.Out, Console.Error, input);
        return report.ExitCode;
    }

    /// <summary>The input file, standard input for "-", or null when the file does not exist.</summary>
    internal static TextReader? OpenInput(string path) =>
        path == "-" ? Console.In : File.Exists(path) ? new StreamReader(path) : null;

    /// <summary>Options given but never read are typos: fail rather than ignore them.</summary>
    internal static void RejectUnknown(CliArgs args)
    {
        var unknown = args.Unread().ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }

    private static RejectedRule ParseRejected(string? value) => value switch
    {
        null or "regularized" => RejectedRule.Regularized,
        "worst" => RejectedRule.Worst,
        "random" => RejectedRule.Random,
        _ => throw new UsageException($"--rejected must be regularized, worst or random (got '{value}')"),
    };
}
