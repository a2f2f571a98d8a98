using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Hosting;

/// <summary>
/// Top-level helpers for a service's Program.cs: build a configured builder, run the app turning configuration
/// errors into a clear message and exit code 2, and read the URL the host actually listens on.
/// </summary>
public static class AlignHost
{
    /// <summary>Exit code for a configuration error.</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>Exit code when a background service crashed and so stopped the host.</summary>
    public const int FailureExitCode = 1;

    /// <summary><c>WebApplication.CreateBuilder(args)</c> with <see cref="ServiceDefaultsExtensions.AddAlignServiceDefaults"/>.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        return builder.AddAlignServiceDefaults();
    }

    /// <summary>
    /// Starts <paramref name="app"/>, calls <paramref name="onStarted"/> to print what runs where (without one, writes
    /// <c>metrics: http://127.0.0.1:PORT/metrics</c>, then the healthz and readyz URLs, to <paramref name="output"/>),
    /// and waits for shutdown. Returns 0 on a clean stop, or <see cref="ConfigurationErrorExitCode"/> after
    /// writing one <c>configuration error: Section:Key: problem. Set it in appsettings.json, as env ALIGN_Section__Key, or --Section:Key=...</c>
    /// line per invalid option to <paramref name="error"/>, or <see cref="FailureExitCode"/> when a background service
    /// crashed (naming it). Writers default to standard output and standard error.
    /// </summary>
    public static async Task<int> RunAsync(
        WebApplication app,
        Func<WebApplication, Task>? onStarted = null,
        TextWriter? error = null,
        TextWriter? output = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        output ??= Console.Out;
        error ??= Console.Error;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ConfigurationFailures(ex) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                await error.WriteLineAsync(DescribeFailure(failure)).ConfigureAwait(false);
            }

            await app.DisposeAsync().ConfigureAwait(false);
            return ConfigurationErrorExitCode;
        }
        catch (Exception) when (FailedBackgroundServices(app) is { Count: > 0 } crashed)
        {
            // A service that crashes while the host starts cancels the rest of the start; report the cause, not the cancellation.
            await ReportCrashesAsync(crashed, error).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return FailureExitCode;
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException)
        {
            // A taken port is a configuration problem the user fixes the same way as an invalid one.
            var options = app.Configuration.GetSection(MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
            await error.WriteLineAsync(DescribeFailure(
                $"{MetricsOptions.SectionName}:{nameof(MetricsOptions.Port)}: {options.Host}:{options.Port} is already in use; choose a free port, or 0 for any free one (got {options.Port})"))
                .ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return ConfigurationErrorExitCode;
        }

        List<(string Service, Exception Error)> failed;
        try
        {
            if (onStarted is not null)
            {
                await onStarted(app).ConfigureAwait(false);
            }
            else
            {
                foreach (var line in DescribeEndpoints(app))
                {
                    await output.WriteLineAsync(line).ConfigureAwait(false);
                }

                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            failed = FailedBackgroundServices(app);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        // A background service that crashed stops the host; that is a failure, not a clean stop.
        await ReportCrashesAsync(failed, error).ConfigureAwait(false);
        return failed.Count == 0 ? 0 : FailureExitCode;
    }

    private static async Task ReportCrashesAsync(List<(string Service, Exception Error)> crashed, TextWriter error)
    {
        foreach (var (service, exception) in crashed)
        {
            await error.WriteLineAsync($"stopped because {service} failed: {exception.Message}").ConfigureAwait(false);
        }
    }

    private static List<(string Service, Exception Error)> FailedBackgroundServices(WebApplication app) =>
        [.. app.Services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => (s.GetType().Name, s.ExecuteTask!.Exception!.GetBaseException()))];

    /// <summary>The first address the started server listens on, e.g. <c>http://127.0.0.1:41234</c> (an ephemeral port resolved).</summary>
    public static Uri GetListenUri(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no listen address yet: call this after the app has started.");
        return new Uri(first.Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal));
    }

    /// <summary>Lines naming the started host's endpoints: <c>metrics: URL</c>, <c>healthz: URL</c>, <c>readyz: URL</c>.</summary>
    public static IReadOnlyList<string> DescribeEndpoints(WebApplication app)
    {
        var root = app.GetListenUri();
        return [$"metrics: {new Uri(root, "/metrics")}", $"healthz: {new Uri(root, "/healthz")}", $"readyz: {new Uri(root, "/readyz")}"];
    }

    /// <summary>The URL of the started host's <c>/metrics</c> endpoint.</summary>
    public static Uri GetMetricsUri(this WebApplication app) => new(app.GetListenUri(), "/metrics");

    /// <summary>
    /// Turns one failure text (<c>Metrics:Port: must be between 0 and 65535 (got -5)</c>) into the user-facing line
    /// naming the three places to fix it.
    /// </summary>
    public static string DescribeFailure(string failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var cut = failure.IndexOf(": ", StringComparison.Ordinal);
        if (cut <= 0)
        {
            return $"configuration error: {failure}";
        }

        var key = failure[..cut];
        var env = ServiceDefaultsExtensions.EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal);
        return $"configuration error: {failure}. Set it in appsettings.json, as env {env}, or --{key}=...";
    }

    private static List<string> ConfigurationFailures(Exception ex)
    {
        var found = new List<string>();
        Collect(ex, found);
        return found;

        static void Collect(Exception e, List<string> into)
        {
            switch (e)
            {
                case OptionsValidationException ove:
                    into.AddRange(ove.Failures);
                    break;
                case AggregateException agg:
                    foreach (var inner in agg.InnerExceptions)
                    {
                        Collect(inner, into);
                    }

                    break;
                default:
                    if (e.InnerException is not null)
                    {
                        Collect(e.InnerException, into);
                    }

                    break;
            }
        }
    }
}
