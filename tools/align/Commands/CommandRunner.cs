
namespace AlignStream.Cli.Commands;

/// <summary>Finds the verb, runs it, and maps errors to exit codes with a message that says what to do.</summary>
public static class CommandRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        var commands = Discover();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintHelp(commands);
            return args.Length == 0 ? 2 : 0;
        }
        if (!commands.TryGetValue(args[0], out var command))
        {
            Console.Error.WriteLine($"align: unknown verb '{args[0]}'. Run `align --help` for the list.");
            return 2;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            return await command.RunAsync(new CliArgs(args[1..]), cts.Token);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"align {command.Name}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static SortedDictionary<string, ICommand> Discover()
    {
        var found = new SortedDictionary<string, ICommand>(StringComparer.Ordinal);
        foreach (var type in typeof(CommandRunner).Assembly.GetTypes())
        {
            if (type is { IsAbstract: false, IsInterface: false } && typeof(ICommand).IsAssignableFrom(type)
                && type.GetConstructor(Type.EmptyTypes) is not null)
            {
                var c = (ICommand)Activator.CreateInstance(type)!;
                found.Add(c.Name, c);
            }
        }
        return found;
    }

    private static void PrintHelp(SortedDictionary<string, ICommand> commands)
    {
        Console.WriteLine("usage: align VERB [options]   (configuration keys as --Section:Key=Value)");
        foreach (var c in commands.Values)
        {
            Console.WriteLine($"  {c.Name,-12} {c.Summary}");
        }
    }
}
