using System.Collections.Concurrent;
using System.Diagnostics;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>A server started by a fixture: its output kept for failure messages, killed (whole tree) on dispose.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Starts <paramref name="file"/> with arguments and extra environment in <paramref name="workingDirectory"/>.</summary>
    public static ServerProcess Start(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? env = null)
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

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {file}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>True while the process runs.</summary>
    public bool IsRunning
    {
        get
        {
            try
            {
                return !_process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>The last lines the server printed (for failure messages).</summary>
    public string Tail(int lines = 30) => string.Join('\n', _output.TakeLast(lines));

    /// <summary>Waits up to <paramref name="timeout"/> for a clean exit.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 500 && _output.TryDequeue(out _))
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsRunning)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
        }

        _process.Dispose();
    }

    /// <summary>Runs a short command to completion (bounded) and returns its exit code and output.</summary>
    public static (int ExitCode, string Output) RunToEnd(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
