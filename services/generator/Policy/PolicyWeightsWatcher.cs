using AlignStream.Platform.Weights;
using Microsoft.Extensions.Hosting;

namespace AlignStream.Generator.Policy;

/// <summary>
/// The generator's own hosted watcher of the policy pointer (a distinct type, so it never collides with the
/// scorer's reference watcher when both stages share one host). The bus consumer nudges it.
/// </summary>
public sealed class PolicyWeightsWatcher : IHostedService, IDisposable
{
    /// <summary>Wraps <paramref name="watcher"/>.</summary>
    public PolicyWeightsWatcher(WeightsWatcher watcher)
    {
        Watcher = watcher ?? throw new ArgumentNullException(nameof(watcher));
    }

    /// <summary>The platform watcher doing the work.</summary>
    public WeightsWatcher Watcher { get; }

    /// <summary>Asks for a pointer check now.</summary>
    public void Nudge() => Watcher.Nudge();

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Watcher.StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Watcher.StopAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose() => Watcher.Dispose();
}
