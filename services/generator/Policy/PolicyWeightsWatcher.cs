using AlignStream.Generator.Logging;
using AlignStream.Platform.Weights;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlignStream.Generator.Policy;

/// <summary>
/// The generator's own hosted watcher of the policy pointer (a distinct type, so it never collides with the
/// scorer's reference watcher when both stages share one host). On start it follows the pointer once before the
/// decode loop and the consume loops start, so a restarted generator serves the current version from its first
/// prompt; then the platform watcher keeps checking on events (<see cref="Nudge"/>) and periodically.
/// </summary>
public sealed class PolicyWeightsWatcher : IHostedService, IDisposable
{
    private static readonly TimeSpan StartCheckTimeout = TimeSpan.FromSeconds(60);
    private readonly ILogger _logger;

    /// <summary>Wraps <paramref name="watcher"/>.</summary>
    public PolicyWeightsWatcher(WeightsWatcher watcher, ILogger<PolicyWeightsWatcher> logger)
    {
        Watcher = watcher ?? throw new ArgumentNullException(nameof(watcher));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The platform watcher doing the work.</summary>
    public WeightsWatcher Watcher { get; }

    /// <summary>Asks for a pointer check now.</summary>
    public void Nudge() => Watcher.Nudge();

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartCheckTimeout);
        try
        {
            await Watcher.CheckOnceAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store may not be reachable yet: serve the base model and let the periodic check catch up.
            GeneratorLog.StartCheckFailed(_logger, e);
        }
        await Watcher.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Watcher.StopAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose() => Watcher.Dispose();
}
