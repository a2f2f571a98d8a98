using System.Globalization;

namespace AlignStream.Cli.Hosting;

/// <summary>
/// Per-thread CPU time of this process from <c>/proc/self/task</c> (Linux), grouped by thread name, so the loop
/// benchmark can say where the CPU that is not the engine's went (consume loops, librdkafka, the thread pool, JIT).
/// Elsewhere the snapshots are empty.
/// </summary>
internal static class ThreadCpu
{
    // USER_HZ: the unit of utime/stime in /proc; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100.0;

    /// <summary>CPU seconds (user + system) of every live thread, keyed by thread id, with its name.</summary>
    public static Dictionary<int, (string Name, double Seconds)> Snapshot()
    {
        var result = new Dictionary<int, (string, double)>();
        const string root = "/proc/self/task";
        if (!Directory.Exists(root))
        {
            return result;
        }
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // "tid (name) state ppid ...": the name may hold spaces and parentheses, so split after the last ')'.
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                // Fields 14 and 15 of the full line (utime, stime) are 11 and 12 after the name.
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[tid] = (name, ticks / TicksPerSecond);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return result;
    }

    /// <summary>CPU seconds each thread name used since <paramref name="start"/> (threads born since count from zero).</summary>
    public static Dictionary<string, double> Since(Dictionary<int, (string Name, double Seconds)> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (tid, (name, seconds)) in Snapshot())
        {
            var before = start.TryGetValue(tid, out var s) ? s.Seconds : 0;
            byName[name] = byName.GetValueOrDefault(name) + Math.Max(0, seconds - before);
        }
        return byName;
    }
}
