using System.Security.Cryptography;
using AlignStream.Platform.IO;
using AlignStream.Platform.State;

namespace AlignStream.Platform.Weights;

/// <summary>
/// A content-addressed weight store on a directory: each published checkpoint folder is linked or copied to
/// <c>{store}/sha256-{hash of model.safetensors}/</c> atomically (temp folder, then rename), and described by a
/// signed <see cref="WeightsManifest"/> whose URI is store-relative (<c>weights:sha256-…</c>) so pods that mount the
/// store at different paths agree.
/// </summary>
public sealed class WeightStoreDirectory
{
    public const string UriScheme = "weights:";
    public const string WeightsFile = "model.safetensors";

    /// <summary>A staging folder older than this is the leftover of a publisher that died mid-copy.</summary>
    public static readonly TimeSpan AbandonedStagingAge = TimeSpan.FromMinutes(10);

    private const string EntryPrefix = "sha256-";
    private const string StagingPrefix = ".staging-";

    private static readonly string[] CheckpointFiles = ["config.json", WeightsFile, "tokenizer.json"];
    private readonly ManifestSigner _signer;

    public WeightStoreDirectory(string root, ManifestSigner signer)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        _signer = signer ?? throw new ArgumentNullException(nameof(signer));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>
    /// Links or copies <paramref name="checkpointDirectory"/> into the store and returns its signed manifest. Publishing the
    /// same weights twice reuses the stored copy. <paramref name="sha256"/> is the weights file's hash when the caller
    /// has just computed it from that very file (writing a checkpoint does), so it is not read twice; readers verify
    /// the hash again before serving, so a wrong one is refused there.
    /// </summary>
    public async Task<WeightsManifest> PublishAsync(
        string checkpointDirectory, long version, long? parentVersion, long step, CancellationToken cancellationToken = default, string? sha256 = null)
    {
        var source = Path.Combine(checkpointDirectory, WeightsFile);
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"cannot publish {checkpointDirectory}: it has no {WeightsFile}", source);
        }
        if (sha256 is not null && (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower)))
        {
            throw new ArgumentException($"'{sha256}' is not a lower-case hex SHA-256", nameof(sha256));
        }
        var sha = sha256 ?? await HashFileAsync(source, cancellationToken).ConfigureAwait(false);
        var name = EntryPrefix + sha;
        var target = Path.Combine(Root, name);
        if (!Directory.Exists(target))
        {
            var staging = Path.Combine(Root, $"{StagingPrefix}{name}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            try
            {
                foreach (var file in CheckpointFiles)
                {
                    var from = Path.Combine(checkpointDirectory, file);
                    var to = Path.Combine(staging, file);
                    // Checkpoint files are written once and never changed, so the store may share them: a link where
                    // both are on one file system (no read, no write), a copy otherwise.
                    if (File.Exists(from) && !FileLinks.TryHardLink(from, to))
                    {
                        File.Copy(from, to);
                    }
                }
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another publisher stored the same content first; theirs is identical.
                Directory.Delete(staging, recursive: true);
            }
        }
        else
        {
            // Published again (the same bytes): newest for retention, see Prune.
            Touch(target);
        }
        var bytes = new FileInfo(Path.Combine(target, WeightsFile)).Length;
        var manifest = new WeightsManifest(version, parentVersion, step, UriScheme + name, sha, bytes, "", DateTimeOffset.UtcNow);
        return _signer.Sign(manifest);
    }

    /// <summary>
    /// A manifest for <paramref name="version"/> of weights already in the store under <paramref name="stored"/>
    /// (for instance a reference that is a copy of a policy version just published): same URI, sha256 and size,
    /// signed anew, with no file read or hashed. Throws when the stored copy is gone.
    /// </summary>
    public WeightsManifest Reissue(WeightsManifest stored, long version, long? parentVersion, long step)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!stored.Uri.StartsWith(UriScheme, StringComparison.Ordinal)
            || !File.Exists(Path.Combine(Root, stored.Uri[UriScheme.Length..], WeightsFile)))
        {
            throw new FileNotFoundException($"cannot reissue version {stored.Version} as {version}: {stored.Uri} is not in the store at {Root}");
        }
        Touch(Path.Combine(Root, stored.Uri[UriScheme.Length..]));
        return _signer.Sign(stored with
        {
            Version = version,
            ParentVersion = parentVersion,
            Step = step,
            Signature = "",
            CreatedAt = DateTimeOffset.UtcNow,
        });
    }

    /// <summary>
    /// Deletes stored versions beyond the <paramref name="keep"/> most recently published (by the time their folder
    /// was stored or last published again; 0 keeps none), never one whose URI is in <paramref name="inUse"/>, and staging folders
    /// abandoned by a publisher that died. Returns the names deleted. A version a reader is loading at that moment
    /// fails its verification as missing and is refused; the reader keeps serving what it has.
    /// </summary>
    public IReadOnlyList<string> Prune(int keep, IEnumerable<string> inUse)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        ArgumentNullException.ThrowIfNull(inUse);
        var pinned = inUse.Where(u => u.StartsWith(UriScheme, StringComparison.Ordinal)).Select(u => u[UriScheme.Length..]).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        var entries = new DirectoryInfo(Root).EnumerateDirectories(EntryPrefix + "*")
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .ThenByDescending(d => d.Name, StringComparer.Ordinal)
            .ToList();
        foreach (var entry in entries.Skip(keep).Where(e => !pinned.Contains(e.Name)))
        {
            if (TryDelete(entry))
            {
                removed.Add(entry.Name);
            }
        }
        foreach (var staging in new DirectoryInfo(Root).EnumerateDirectories(StagingPrefix + "*"))
        {
            if (DateTime.UtcNow - staging.LastWriteTimeUtc > AbandonedStagingAge && TryDelete(staging))
            {
                removed.Add(staging.Name);
            }
        }
        return removed;
    }

    private static bool TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    private static void Touch(string directory)
    {
        try
        {
            Directory.SetLastWriteTimeUtc(directory, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // Retention order only; a store that refuses timestamps still serves.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Checks a manifest before serving it: signature first (cheap, and an unsigned manifest must not even cause a
    /// read), then presence, size and sha256 of the weights file.
    /// </summary>
    public async Task<WeightVerification> VerifyAsync(WeightsManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (string.IsNullOrEmpty(manifest.Signature))
        {
            return WeightVerification.Refused("unsigned", $"version {manifest.Version} has no signature");
        }
        if (!_signer.Verify(manifest))
        {
            return WeightVerification.Refused("bad-signature", $"version {manifest.Version}: signature does not match the shared key");
        }
        if (!manifest.Uri.StartsWith(UriScheme, StringComparison.Ordinal)
            || manifest.Uri.AsSpan(UriScheme.Length).ContainsAny('/', '\\') || manifest.Uri.Contains("..", StringComparison.Ordinal))
        {
            return WeightVerification.Refused("bad-uri", $"version {manifest.Version}: '{manifest.Uri}' is not a weight store URI");
        }
        var directory = Path.Combine(Root, manifest.Uri[UriScheme.Length..]);
        var file = Path.Combine(directory, WeightsFile);
        if (!File.Exists(file))
        {
            return WeightVerification.Refused("missing", $"version {manifest.Version}: {file} does not exist");
        }
        var length = new FileInfo(file).Length;
        if (length != manifest.Bytes)
        {
            return WeightVerification.Refused("size-mismatch", $"version {manifest.Version}: {file} has {length} bytes, manifest says {manifest.Bytes}");
        }
        var sha = await HashFileAsync(file, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(sha, manifest.Sha256, StringComparison.Ordinal))
        {
            return WeightVerification.Refused("hash-mismatch", $"version {manifest.Version}: sha256 of {file} is {sha}, manifest says {manifest.Sha256}");
        }
        return new WeightVerification(true, directory, "ok", $"version {manifest.Version} verified");
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
