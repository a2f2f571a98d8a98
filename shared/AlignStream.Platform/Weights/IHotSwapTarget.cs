using AlignStream.Platform.State;

namespace AlignStream.Platform.Weights;

/// <summary>
/// Something that serves weights and can take a new verified version without pausing: the generator's policy,
/// the scorer's reference model. <see cref="WeightsWatcher"/> calls it from a background task.
/// </summary>
public interface IHotSwapTarget
{
    /// <summary>Which pointer this target follows.</summary>
    ManifestKind Kind { get; }

    /// <summary>The version served now (0 for the initial weights).</summary>
    long ServingVersion { get; }

    /// <summary>
    /// Loads the verified checkpoint folder into standby memory and flips to it between two steps. Returns false
    /// with a reason when the file cannot be loaded (wrong shapes, bad header); the old version keeps serving.
    /// </summary>
    Task<(bool Ok, string? Reason)> SwapAsync(string checkpointDirectory, WeightsManifest manifest, CancellationToken cancellationToken);
}
