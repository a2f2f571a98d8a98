using AlignStream.Contracts.Events;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using AlignStream.Trainer.Metrics;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Trainer.Worker;

/// <summary>
/// Publishes a checkpointed version: weights into the weight store (content-addressed, so publishing the same
/// weights again is a no-op), then the signed manifest into the state store, then the event on the bus. Retries
/// until it succeeds or the trainer stops; a version left half-published is finished on the next start.
/// </summary>
public sealed class VersionPublisher(
    WeightStoreDirectory store, IStateStore state, IServiceProvider services, TrainerInstruments instruments, ILogger<VersionPublisher> logger,
    IOptions<WeightsOptions>? weights = null)
{
    private readonly int _keepVersions = weights?.Value.KeepVersions ?? 0;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>Publishes the policy folder as <paramref name="version"/> (<paramref name="sha256"/>: its weights' hash, when known).</summary>
    public Task<WeightsManifest> PublishPolicyAsync(string folder, long version, long step, CancellationToken cancellationToken, string? sha256 = null) =>
        RetryAsync("policy", version, async ct =>
        {
            var manifest = await store.PublishAsync(folder, version, version > 0 ? version - 1 : null, step, ct, sha256).ConfigureAwait(false);
            await state.SetManifestAsync(ManifestKind.Policy, manifest, ct).ConfigureAwait(false);
            if (services.GetService<IBus>() is { } bus)
            {
                await bus.Publish(new PolicyWeightsPublished(manifest.Version, manifest.Step, manifest.Uri, manifest.Sha256, manifest.Bytes,
                    manifest.Signature, manifest.ParentVersion ?? 0), ct).ConfigureAwait(false);
            }
            instruments.PolicyPublished(version);
            return manifest;
        }, cancellationToken);

    /// <summary>
    /// Publishes the reference folder as <paramref name="version"/>. When <paramref name="sameWeightsAs"/> is given (the
    /// reference was just copied from that published policy), its stored weights are reused: no copy, no hashing.
    /// </summary>
    public Task<WeightsManifest> PublishReferenceAsync(string folder, long version, long step, CancellationToken cancellationToken,
        WeightsManifest? sameWeightsAs = null) =>
        RetryAsync("reference", version, async ct =>
        {
            var parent = version > 0 ? version - 1 : (long?)null;
            var manifest = sameWeightsAs is not null
                ? store.Reissue(sameWeightsAs, version, parent, step)
                : await store.PublishAsync(folder, version, parent, step, ct).ConfigureAwait(false);
            await state.SetManifestAsync(ManifestKind.Reference, manifest, ct).ConfigureAwait(false);
            if (services.GetService<IBus>() is { } bus)
            {
                await bus.Publish(new ReferenceUpdated(manifest.Version, manifest.Uri, manifest.Sha256, manifest.Signature), ct).ConfigureAwait(false);
            }
            instruments.ReferencePublished(version);
            return manifest;
        }, cancellationToken);

    /// <summary>
    /// Applies Weights:KeepVersions to the store after a publication: versions beyond the newest kept are deleted,
    /// except the ones the current policy and reference manifests point at. Best effort: a failure is logged and the
    /// next publication tries again.
    /// </summary>
    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        if (_keepVersions == 0)
        {
            return;
        }
        try
        {
            var policy = await state.GetManifestAsync(ManifestKind.Policy, cancellationToken).ConfigureAwait(false);
            var reference = await state.GetManifestAsync(ManifestKind.Reference, cancellationToken).ConfigureAwait(false);
            var inUse = new[] { policy?.Uri, reference?.Uri }.OfType<string>().ToArray();
            var removed = store.Prune(_keepVersions, inUse);
            if (removed.Count > 0)
            {
                instruments.WeightsPruned(removed.Count);
                TrainerLog.Pruned(logger, _keepVersions, removed.Count, string.Join(", ", removed));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StackExchange.Redis.RedisException or TimeoutException)
        {
            TrainerLog.PruneFailed(logger, ex);
        }
    }

    private async Task<WeightsManifest> RetryAsync(string kind, long version, Func<CancellationToken, Task<WeightsManifest>> publish, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var manifest = await publish(cancellationToken).ConfigureAwait(false);
                TrainerLog.Published(logger, kind, manifest.Version, manifest.Step, manifest.Uri);
                return manifest;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                TrainerLog.PublishRetry(logger, ex, kind, version);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }
}
