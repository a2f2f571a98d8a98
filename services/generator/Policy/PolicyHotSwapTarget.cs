using AlignStream.Generator.Metrics;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;

namespace AlignStream.Generator.Policy;

/// <summary>
/// The generator's <see cref="IHotSwapTarget"/>: the weights watcher hands it verified checkpoint folders and it loads
/// them into the policy's standby buffer on a worker thread, flipping between two decode steps.
/// </summary>
public sealed class PolicyHotSwapTarget : IHotSwapTarget
{
    private readonly PolicyRuntime _policy;
    private readonly GeneratorInstruments _instruments;

    /// <summary>Wraps <paramref name="policy"/>.</summary>
    public PolicyHotSwapTarget(PolicyRuntime policy, GeneratorInstruments instruments)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _instruments.PolicyServing(policy.Version);
    }

    /// <inheritdoc />
    public ManifestKind Kind => ManifestKind.Policy;

    /// <inheritdoc />
    public long ServingVersion => _policy.Version;

    /// <inheritdoc />
    public Task<(bool Ok, string? Reason)> SwapAsync(string checkpointDirectory, WeightsManifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // Reading a checkpoint is blocking file I/O plus a copy: keep it off the caller's thread.
        return Task.Run(() =>
        {
            var ok = _policy.TrySwap(checkpointDirectory, manifest.Version, out var reason);
            _instruments.WeightLoad(ok);
            if (ok)
            {
                _instruments.PolicyServing(manifest.Version);
            }
            return (ok, reason);
        }, cancellationToken);
    }
}
