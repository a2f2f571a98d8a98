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
    private readonly Func<WeightsWatcher> _create;
    private readonly ILogger _logger;
    private WeightsWatcher? _watcher;

    /// <summary>
    /// Creates the hosted wrapper; <paramref name="create"/> builds the platform watcher (and so loads the policy)
    /// at start, after the host validated the configuration, rather than when the hosted services are resolved.
    /// </summary>
    public PolicyWeightsWatcher(Func<WeightsWatcher> create, ILogger<PolicyWeightsWatcher> logger)
    {
        _create = create ?? throw new ArgumentNullException(nameof(create));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The platform watcher doing the work (created on start).</summary>
    public WeightsWatcher Watcher => _watcher ??= _create();

    /// <summary>Asks for a pointer check now (ignored before start: the start itself checks).</summary>
    public void Nudge() => _watcher?.Nudge();

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
    public Task StopAsync(CancellationToken cancellationToken) => _watcher?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => _watcher?.Dispose();
}
