using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>
/// Runs `align broker` (the embedded mock cluster) as a separate process, reads the bootstrap line it
/// prints first, and lets tests produce and consume against it from this process: the two-process
/// set-up of the issue. Tests isolate themselves with GUID namespaces (their own topics and groups).
/// </summary>
public sealed class KafkaBrokerFixture : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _broker;
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly ServiceProvider _services;

    /// <summary>Starts the broker process and waits (bounded) for its bootstrap line.</summary>
    public KafkaBrokerFixture()
    {
        AlignDll = FindAlignDll();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(AlignDll);
        psi.ArgumentList.Add("broker");
        // If this test process dies without disposing the fixture, the broker sees stdin close and exits.
        psi.ArgumentList.Add("--exit-on-stdin-eof");
        _broker = Process.Start(psi) ?? throw new InvalidOperationException("could not start `dotnet align.dll broker`");
        _broker.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Enqueue(e.Data);
            }
        };
        _broker.BeginErrorReadLine();
        var first = _broker.StandardOutput.ReadLineAsync();
        if (!first.Wait(StartTimeout) || first.Result is null)
        {
            var why = first.IsCompleted ? "it closed stdout" : $"nothing within {StartTimeout.TotalSeconds:F0} s";
            Dispose();
            throw new TimeoutException($"phase: starting `align broker`: no bootstrap line ({why}). stderr: {string.Join(" | ", _stderr)}");
        }
        FirstLine = first.Result;
        if (!FirstLine.StartsWith("bootstrap=", StringComparison.Ordinal))
        {
            Dispose();
            throw new InvalidOperationException($"phase: starting `align broker`: first stdout line was '{FirstLine}', expected bootstrap=HOST:PORT");
        }
        BootstrapServers = FirstLine["bootstrap=".Length..];
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Instruments = new KafkaInstruments(_services.GetRequiredService<IMeterFactory>());
    }

    /// <summary>Path of the built `align` tool.</summary>
    public string AlignDll { get; }

    /// <summary>The broker's first stdout line, verbatim.</summary>
    public string FirstLine { get; }

    /// <summary>host:port list of the broker process.</summary>
    public string BootstrapServers { get; }

    /// <summary>Shared instruments for clients the tests create.</summary>
    public KafkaInstruments Instruments { get; }

    /// <summary>What the broker printed on stderr, for failure messages.</summary>
    public string BrokerLog => string.Join('\n', _stderr);

    /// <summary>A connection under a fresh namespace so a test's topics, DLQ and groups are its own.</summary>
    public KafkaConnection NewConnection(out TopicNames topics, Action<KafkaOptions>? configure = null)
    {
        var options = new KafkaOptions
        {
            BootstrapServers = BootstrapServers,
            Namespace = "t" + Guid.NewGuid().ToString("N")[..12],
            ClientId = "platform-tests",
            RetryBackoffMs = 1,
        };
        configure?.Invoke(options);
        topics = options.Topics;
        return new KafkaConnection(options);
    }

    /// <summary>Runs `dotnet align.dll ARGS` to completion (bounded) and returns exit code, stdout and stderr.</summary>
    public (int ExitCode, string Stdout, string Stderr) RunAlign(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(AlignDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start align");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"phase: `align {string.Join(' ', args)}` did not finish within {timeout.TotalSeconds:F0} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Stops the broker process.</summary>
    public void Dispose()
    {
        _services?.Dispose();
        try
        {
            if (!_broker.HasExited)
            {
                // Closing stdin is the broker's cue to stop cleanly; kill only if it does not.
                _broker.StandardInput.Close();
                if (!_broker.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    _broker.Kill(entireProcessTree: true);
                    _broker.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _broker.Dispose();
    }

    private static string FindAlignDll()
    {
        // Same configuration as this test assembly (Release in CI).
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(RepoPaths.Root, "tools", "align", "bin", configuration, "net10.0", "align.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: build the tool first (dotnet build tools/align/AlignStream.Cli.csproj -c {configuration}).", path);
        }
        return path;
    }
}
