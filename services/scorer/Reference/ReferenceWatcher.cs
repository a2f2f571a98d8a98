using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using AlignStream.Scorer.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlignStream.Scorer.Reference;

/// <summary>
/// The scorer's own hosted service around the platform's <see cref="WeightsWatcher"/> for the reference pointer
/// (its own class, so it never collides with the generator's policy watcher in the single-process host). The
/// consume loop awaits <see cref="EnsureCheckedAsync"/> once before its first batch, so a restarted scorer never
/// scores with version 0 while a newer reference is published.
/// </summary>
public sealed class ReferenceWatcher : IHostedService, IDisposable
{
    private readonly WeightsWatcher _watcher;
    private readonly ReferenceModel _reference;
    private readonly ScorerInstruments _instruments;
    private readonly Lock _gate = new();
    private Task? _firstCheck;

    /// <summary>Creates the watcher for <paramref name="reference"/>.</summary>
    public ReferenceWatcher(ReferenceModel reference, IStateStore state, WeightStoreDirectory store, WeightsInstruments weights,
        ScorerInstruments instruments, ILogger<WeightsWatcher> logger, TimeSpan? pollInterval = null)
    {
        _reference = reference ?? throw new ArgumentNullException(nameof(reference));
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _watcher = new WeightsWatcher(reference, state, store, weights, logger, pollInterval);
    }

    /// <summary>Asks for a pointer check now (a ReferenceUpdated event arrived).</summary>
    public void Nudge() => _watcher.Nudge();

    /// <summary>Checks the pointer once and swaps if newer; returns the version served after.</summary>
    public async Task<long> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var version = await _watcher.CheckOnceAsync(cancellationToken).ConfigureAwait(false);
        _instruments.ReferenceServing(version);
        return version;
    }

    /// <summary>Completes once a first pointer check has run (successfully) in this process.</summary>
    public Task EnsureCheckedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_firstCheck is null || _firstCheck.IsFaulted || _firstCheck.IsCanceled)
            {
                _firstCheck = CheckOnceAsync(cancellationToken);
            }
            return _firstCheck;
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _instruments.ReferenceServing(_reference.ServingVersion);
        return _watcher.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _watcher.StopAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _watcher.Dispose();
}
