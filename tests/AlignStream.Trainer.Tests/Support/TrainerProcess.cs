using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Trainer.Tests.Support;

/// <summary>The trainer deployable as its own process (dotnet AlignStream.Trainer.dll --Key=Value ...).</summary>
public sealed partial class TrainerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private TrainerProcess(Process process, int metricsPort)
    {
        _process = process;
        MetricsUri = new Uri($"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}/metrics");
    }

    /// <summary>The process's /metrics endpoint.</summary>
    public Uri MetricsUri { get; }

    /// <summary>True until the process exits.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Starts the built trainer with <paramref name="args"/> plus a free metrics port.</summary>
    public static TrainerProcess Start(IEnumerable<string> args)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(RepoPaths.Root, "services", "trainer", "bin", configuration, "net10.0", "AlignStream.Trainer.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build services/trainer/AlignStream.Trainer.csproj -c {configuration}", dll);
        }
        var port = FreePort.Next();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add($"--Metrics:Port={port.ToString(CultureInfo.InvariantCulture)}");
        var process = new Process { StartInfo = psi };
        var trainer = new TrainerProcess(process, port);
        process.OutputDataReceived += (_, e) => trainer.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => trainer.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return trainer;
    }

    /// <summary>The last lines the process printed.</summary>
    public string Tail(int lines = 40) => string.Join('\n', _output.TakeLast(lines));

    /// <summary>align_trainer_steps_total from /metrics, or −1 while the endpoint is not up.</summary>
    public async Task<long> StepsAsync()
    {
        try
        {
            var text = await _http.GetStringAsync(MetricsUri).ConfigureAwait(false);
            var m = StepsLine().Match(text);
            return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
        catch (TaskCanceledException)
        {
            return -1;
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(20));
    }

    /// <summary>SIGTERM (graceful shutdown); returns the exit code.</summary>
    public int Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit(TimeSpan.FromSeconds(10));
        }
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"phase: graceful trainer shutdown did not finish within {timeout.TotalSeconds:F0} s. Output:\n{Tail()}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _))
        {
        }
    }

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
            // Never started or already reaped.
        }
        _process.Dispose();
        _http.Dispose();
    }

    [GeneratedRegex(@"^align_trainer_steps_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex StepsLine();
}
