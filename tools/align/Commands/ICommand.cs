namespace AlignStream.Cli.Commands;

/// <summary>
/// One top-level verb of the `align` tool. Implementations are discovered by reflection, so adding a
/// verb is adding a file. A verb with sub-verbs (`topics list`) reads them from <see cref="CliArgs.Positional"/>.
/// </summary>
public interface ICommand
{
    /// <summary>The verb as typed: `broker`, `topics`, `logprobs`.</summary>
    string Name { get; }

    /// <summary>One line for `align --help`.</summary>
    string Summary { get; }

    /// <summary>Runs the verb; returns the process exit code (0 ok, 1 failure, 2 usage error).</summary>
    Task<int> RunAsync(CliArgs args, CancellationToken cancellationToken);
}
