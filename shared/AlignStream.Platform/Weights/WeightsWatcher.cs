using System.Diagnostics;
using AlignStream.Platform.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlignStream.Platform.Weights;

/// <summary>
/// Keeps one <see cref="IHotSwapTarget"/> on the current version. The Redis pointer is the source of truth: it is
/// read on start, whenever a bus event nudges (<see cref="Nudge"/>), and every poll interval as a safety net for
/// missed events. A newer version is verified (signature, size, sha256) and handed to the target; a refused
/// version is counted, logged once and not retried, and the old version keeps serving.
/// </summary>
public sealed partial class WeightsWatcher : BackgroundService
{
    private readonly IHotSwapTarget _target;
    private readonly IStateStore _state;
    private readonly WeightStoreDirectory _store;
    private readonly WeightsInstruments _instruments;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);

    public WeightsWatcher(
        IHotSwapTarget target, IStateStore state, WeightStoreDirectory store, WeightsInstruments instruments,
        ILogger<WeightsWatcher> logger, TimeSpan? pollInterval = null)
    {
        _target = target;
        _state = state;
        _store = store;
        _instruments = instruments;
        _logger = logger;
        _pollInterval = pollInterval ?? TimeSpan.FromSeconds(5);
    }

    private string Kind => _target.Kind == ManifestKind.Policy ? "policy" : "reference";

    /// <summary>Asks for a check now (called by the bus consumer of the publication event).</summary>
    public void Nudge()
    {
        try
        {
            _nudge.Release();
        }
        catch (SemaphoreFullException)
        {
            // A check is already pending.
        }
    }

    /// <summary>Checks the pointer once and swaps if a newer, valid version is there. Returns the version served after.</summary>
    public async Task<long> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var manifest = await _state.GetManifestAsync(_target.Kind, cancellationToken).ConfigureAwait(false);
        if (manifest is null || manifest.Version <= _target.ServingVersion)
        {
            _instruments.Serving(Kind, _target.ServingVersion);
            return _target.ServingVersion;
        }
        var key = $"{manifest.Version}:{manifest.Sha256}:{manifest.Signature}";
        if (_refused.Contains(key))
        {
            return _target.ServingVersion;
        }
        var started = Stopwatch.GetTimestamp();
        var verification = await _store.VerifyAsync(manifest, cancellationToken).ConfigureAwait(false);
        if (!verification.Ok)
        {
            Refuse(key, manifest, verification.Reason, verification.Detail);
            return _target.ServingVersion;
        }
        var (ok, reason) = await _target.SwapAsync(verification.Directory!, manifest, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            Refuse(key, manifest, "load-failed", reason ?? "the target could not load it");
            return _target.ServingVersion;
        }
        _instruments.Swapped(Kind, Stopwatch.GetElapsedTime(started), DateTimeOffset.UtcNow - manifest.CreatedAt);
        _instruments.Serving(Kind, _target.ServingVersion);
        LogSwapped(Kind, manifest.Version, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return _target.ServingVersion;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _instruments.Serving(Kind, _target.ServingVersion);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store may be briefly unreachable; serving goes on with the current weights.
                LogCheckFailed(e, Kind);
            }
            try
            {
                await _nudge.WaitAsync(_pollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    private void Refuse(string key, WeightsManifest manifest, string reason, string detail)
    {
        _refused.Add(key);
        _instruments.Refused(Kind, reason);
        LogRefused(Kind, manifest.Version, reason, detail, _target.ServingVersion);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} weights version {Version} serving (swap took {Milliseconds:F1} ms)")]
    private partial void LogSwapped(string kind, long version, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} weights version {Version} refused ({Reason}): {Detail}; still serving version {Serving}")]
    private partial void LogRefused(string kind, long version, string reason, string detail, long serving);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} weights check failed; will retry")]
    private partial void LogCheckFailed(Exception exception, string kind);
}
