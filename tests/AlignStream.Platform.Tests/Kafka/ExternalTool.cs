using System.Diagnostics;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Runs a third-party tool (kcat, protoc) to completion with bounded time, keeping stdout as bytes.</summary>
public static class ExternalTool
{
    /// <summary>Runs <paramref name="file"/>; feeds <paramref name="stdin"/> when given; throws naming the phase on timeout.</summary>
    public static (int ExitCode, byte[] Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan timeout, string phase, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"phase: {phase}: '{file}' is not installed ({e.Message}); `./align setup` installs it.", e);
        }
        using (p)
        {
            var output = new MemoryStream();
            var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
            var stderr = p.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                p.StandardInput.BaseStream.Write(stdin);
                p.StandardInput.Close();
            }
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"phase: {phase}: {file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:F0} s");
            }
            p.WaitForExit();
            copy.Wait(timeout);
            return (p.ExitCode, output.ToArray(), stderr.Result);
        }
    }
}
