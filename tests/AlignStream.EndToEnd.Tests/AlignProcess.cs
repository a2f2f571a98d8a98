using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>
/// The built `align` tool (or a service) run as a child process: standard output lines are queued for the test
/// to wait on, standard error is kept for failure messages, and it can be stopped with SIGINT like a user would.
/// </summary>
public sealed partial class AlignProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _stdout = [];
    private readonly ConcurrentQueue<string> _all = new();

    private AlignProcess(Process process)
    {
        _process = process;
    }

    public static string AlignDll => Path.Combine(RepoPaths.Root, "tools", "align", "bin", Configuration, "net10.0", "align.dll");

    /// <summary>The build configuration the test itself was built with (Release under ./align test).</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static AlignProcess StartAlign(string workingDirectory, params string[] args) => Start("dotnet", [AlignDll, .. args], workingDirectory);

    public static AlignProcess Start(string file, IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var p = new AlignProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                p._stdout.CompleteAdding();
                return;
            }
            p._all.Enqueue("out: " + e.Data);
            p._stdout.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                p._all.Enqueue("err: " + e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Next stdout line that satisfies <paramref name="match"/>; throws naming <paramref name="phase"/> on timeout or exit.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string phase)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for: {phase}.\n{Tail()}");
            }
            try
            {
                if (_stdout.TryTake(out var line, left) && match(line))
                {
                    return line;
                }
            }
            catch (InvalidOperationException)
            {
                // Output completed: the process ended.
            }
            if (_stdout.IsCompleted)
            {
                throw new InvalidOperationException($"The process ended before: {phase}.\n{Tail()}");
            }
        }
    }

    /// <summary>Sends SIGINT (Ctrl+C) and waits for the exit; returns the exit code.</summary>
    public int Interrupt(TimeSpan timeout)
    {
        _ = Kill(_process.Id, 2);
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"No exit within {timeout.TotalSeconds:F0} s of SIGINT.\n{Tail()}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to exit and for its output to be fully read; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        // The parameterless overload also waits for the asynchronous output readers to reach end of stream.
        _process.WaitForExit();
        return true;
    }

    /// <summary>Sends SIGKILL: a crash the process cannot react to.</summary>
    public void KillHard()
    {
        _ = Kill(_process.Id, 9);
        _process.WaitForExit(TimeSpan.FromSeconds(30));
    }

    public string Tail(int lines = 40) => string.Join('\n', _all.TakeLast(lines));

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _stdout.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
