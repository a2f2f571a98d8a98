using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;

namespace AlignStream.Scorer.Reference;

/// <summary>
/// The reference model the scorer computes log-probs and entropies with, hot-swapped like the policy
/// (Kind <see cref="ManifestKind.Reference"/>). Readers run their forward passes inside <see cref="UseAsync"/>,
/// which also reports the version those weights are; a swap waits for the pass in progress, because the
/// engine's standby buffer is the previous live set and loading into it under a running pass would tear it.
/// </summary>
public sealed class ReferenceModel : IHotSwapTarget, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _version;

    /// <summary>Wraps a loaded model as version <paramref name="version"/> (0 for the base model).</summary>
    public ReferenceModel(LlamaModel model, ITokenizer tokenizer, long version = 0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _version = version;
    }

    /// <summary>The engine model (its weights flip on swap).</summary>
    public LlamaModel Model { get; }

    /// <summary>The model folder's tokenizer (decodes response prefixes for segment rewards).</summary>
    public ITokenizer Tokenizer { get; }

    /// <inheritdoc />
    public ManifestKind Kind => ManifestKind.Reference;

    /// <inheritdoc />
    public long ServingVersion => Interlocked.Read(ref _version);

    /// <summary>Loads the base model folder as version 0.</summary>
    public static ReferenceModel Load(string directory, int threads)
    {
        var model = LlamaModel.Load(directory, threads);
        return new ReferenceModel(model, TokenizerLoader.ForModelFolder(directory));
    }

    /// <summary>Runs <paramref name="pass"/> with the weights held steady; it receives the version being used.</summary>
    public async Task<T> UseAsync<T>(Func<long, T> pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return pass(ServingVersion);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<(bool Ok, string? Reason)> SwapAsync(string checkpointDirectory, WeightsManifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (manifest.Version <= ServingVersion)
            {
                // Two checks raced (start-up check and the watcher's loop): the newer one already landed.
                return (true, null);
            }
            string? reason;
            bool ok;
            try
            {
                ok = Model.TrySwapFrom(checkpointDirectory, manifest.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), out reason);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException)
            {
                return (false, e.Message);
            }
            if (ok)
            {
                Interlocked.Exchange(ref _version, manifest.Version);
            }
            return (ok, reason);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
