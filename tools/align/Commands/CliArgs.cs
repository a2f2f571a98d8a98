using System.Globalization;

namespace AlignStream.Cli.Commands;

/// <summary>Thrown for a usage error; the message says what to type instead. Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parsed command line: positional words, `--name value`, `--name=value` and bare `--flag`s.
/// Names that contain ':' (`--Kafka:BootstrapServers=...`) are .NET configuration keys and are kept
/// apart in <see cref="ConfigurationArgs"/> so they can be handed to the configuration system.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public CliArgs(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var config = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                positional.Add(a);
                continue;
            }
            var body = a[2..];
            string name;
            string? value = null;
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = body[..eq];
                value = body[(eq + 1)..];
            }
            else
            {
                name = body;
                if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    value = args[++i];
                }
            }
            if (name.Contains(':', StringComparison.Ordinal))
            {
                config.Add($"--{name}={value}");
                continue;
            }
            _options[name] = value;
        }
        Positional = positional;
        ConfigurationArgs = config;
    }

    public IReadOnlyList<string> Positional { get; }

    /// <summary>`--Section:Key=Value` arguments, in .NET command-line configuration form.</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; }

    public bool Has(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>A bare flag such as `--json`. A value that follows it is treated as positional by the caller's design.</summary>
    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_options.TryGetValue(name, out var v))
        {
            return false;
        }
        return v is null || !string.Equals(v, "false", StringComparison.OrdinalIgnoreCase);
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string Required(string name, string what)
    {
        var v = String(name);
        if (string.IsNullOrEmpty(v))
        {
            throw new UsageException($"missing --{name} ({what})");
        }
        return v;
    }

    public int Int(string name, int fallback) => Parse(name, fallback, s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    public long Long(string name, long fallback) => Parse(name, fallback, s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    public double Double(string name, double fallback) => Parse(name, fallback, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>Options given but never read by the command: reported as usage errors so typos do not pass silently.</summary>
    public IEnumerable<string> Unread() => _options.Keys.Where(k => !_read.Contains(k));

    private T Parse<T>(string name, T fallback, Func<string, T> parse)
    {
        var v = String(name);
        if (v is null)
        {
            return fallback;
        }
        try
        {
            return parse(v);
        }
        catch (FormatException)
        {
            throw new UsageException($"--{name} expects a number, got '{v}'");
        }
        catch (OverflowException)
        {
            throw new UsageException($"--{name} is out of range: '{v}'");
        }
    }
}
