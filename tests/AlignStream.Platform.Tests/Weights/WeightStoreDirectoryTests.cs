using AlignStream.Platform.State;
using AlignStream.Platform.Weights;

namespace AlignStream.Platform.Tests.Weights;

public sealed class WeightStoreDirectoryTests : IDisposable
{
    private const string Key = "test-signing-key-0123456789";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "align-weights-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string MakeCheckpoint(byte seed)
    {
        var dir = Path.Combine(_root, "src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var payload = new byte[4096];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 31 + seed);
        }
        File.WriteAllBytes(Path.Combine(dir, WeightStoreDirectory.WeightsFile), payload);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\":\"llama\"}");
        return dir;
    }

    [Fact]
    public async Task Published_version_verifies_and_points_at_a_content_addressed_copy()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var manifest = await store.PublishAsync(MakeCheckpoint(1), version: 3, parentVersion: 2, step: 40);

        Assert.Equal(3, manifest.Version);
        Assert.Equal(2, manifest.ParentVersion);
        Assert.Equal(4096, manifest.Bytes);
        Assert.Equal("weights:sha256-" + manifest.Sha256, manifest.Uri);
        var result = await store.VerifyAsync(manifest);
        Assert.True(result.Ok, result.Detail);
        Assert.True(File.Exists(Path.Combine(result.Directory!, "config.json")));

        // Same content again: same address, still verifies.
        var again = await store.PublishAsync(MakeCheckpoint(1), version: 4, parentVersion: 3, step: 50);
        Assert.Equal(manifest.Uri, again.Uri);
        Assert.True((await store.VerifyAsync(again)).Ok);
    }

    [Fact]
    public async Task Stored_weights_are_reissued_under_another_version_and_verify()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var policy = await store.PublishAsync(MakeCheckpoint(2), version: 5, parentVersion: 4, step: 50);

        var reference = store.Reissue(policy, version: 5, parentVersion: 4, step: 50);
        Assert.Equal((policy.Uri, policy.Sha256, policy.Bytes), (reference.Uri, reference.Sha256, reference.Bytes));
        Assert.True((await store.VerifyAsync(reference)).Ok);
        var later = store.Reissue(policy, version: 9, parentVersion: 8, step: 90);
        Assert.Equal((9L, 8L, 90L), (later.Version, later.ParentVersion!.Value, later.Step));
        Assert.NotEqual(policy.Signature, later.Signature);
        Assert.True((await store.VerifyAsync(later)).Ok);

        // Weights that are not in the store cannot be vouched for without reading them.
        Assert.Throws<FileNotFoundException>(() => store.Reissue(policy with { Uri = "weights:sha256-" + new string('0', 64) }, 6, 5, 60));
    }

    [Fact]
    public async Task Corrupt_truncated_unsigned_and_foreign_manifests_are_refused_with_their_reason()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var manifest = await store.PublishAsync(MakeCheckpoint(2), 1, null, 10);
        var file = Path.Combine(store.Root, manifest.Uri["weights:".Length..], WeightStoreDirectory.WeightsFile);

        Assert.Equal("unsigned", (await store.VerifyAsync(manifest with { Signature = "" })).Reason);

        var foreign = new ManifestSigner("another-key-that-is-long-enough").Sign(manifest);
        Assert.Equal("bad-signature", (await store.VerifyAsync(foreign)).Reason);

        // A field changed after signing invalidates the signature.
        Assert.Equal("bad-signature", (await store.VerifyAsync(manifest with { Version = 99 })).Reason);

        var traversal = new ManifestSigner(Key).Sign(manifest with { Uri = "weights:../../etc" });
        Assert.Equal("bad-uri", (await store.VerifyAsync(traversal)).Reason);

        var bytes = await File.ReadAllBytesAsync(file);
        bytes[100] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);
        Assert.Equal("hash-mismatch", (await store.VerifyAsync(manifest)).Reason);

        await File.WriteAllBytesAsync(file, bytes[..1000]);
        Assert.Equal("size-mismatch", (await store.VerifyAsync(manifest)).Reason);

        File.Delete(file);
        Assert.Equal("missing", (await store.VerifyAsync(manifest)).Reason);
    }

    [Fact]
    public async Task Retention_keeps_the_newest_published_and_the_pinned_versions_and_clears_abandoned_staging()
    {
        var root = Path.Combine(_root, "store");
        var store = new WeightStoreDirectory(root, new ManifestSigner(Key));
        var manifests = new List<WeightsManifest>();
        var start = DateTime.UtcNow.AddHours(-1);
        for (byte v = 1; v <= 5; v++)
        {
            var m = await store.PublishAsync(MakeCheckpoint(v), version: v, parentVersion: v - 1, step: v * 10);
            // Publication order, a minute apart, whatever the file system's timestamp resolution.
            Directory.SetLastWriteTimeUtc(Path.Combine(root, m.Uri["weights:".Length..]), start.AddMinutes(v));
            manifests.Add(m);
        }
        // Version 2's bytes published again (as version 6): it counts as recent now.
        Assert.Equal(manifests[1].Uri, (await store.PublishAsync(MakeCheckpoint(2), version: 6, parentVersion: 5, step: 60)).Uri);
        var abandoned = Directory.CreateDirectory(Path.Combine(root, ".staging-sha256-dead-1"));
        abandoned.LastWriteTimeUtc = DateTime.UtcNow - WeightStoreDirectory.AbandonedStagingAge - TimeSpan.FromMinutes(1);
        var copying = Directory.CreateDirectory(Path.Combine(root, ".staging-sha256-busy-2"));

        // Keep 2: version 2 (republished) and 5; version 1 stays because a manifest points at it; 3 and 4 go.
        var removed = store.Prune(2, [manifests[0].Uri, "not-a-store-uri"]);
        string Name(int i) => manifests[i].Uri["weights:".Length..];
        Assert.Equal(new[] { Name(2), Name(3), ".staging-sha256-dead-1" }.Order(), removed.Order());
        Assert.True((await store.VerifyAsync(manifests[0])).Ok);
        Assert.True((await store.VerifyAsync(manifests[1])).Ok);
        Assert.True((await store.VerifyAsync(manifests[4])).Ok);
        var gone = await store.VerifyAsync(manifests[2]);
        Assert.False(gone.Ok);
        Assert.Equal("missing", gone.Reason);
        Assert.True(copying.Exists);

        // Reissuing stored weights also counts as a publication: version 1 (no longer pinned) is kept over 5.
        store.Reissue(manifests[0], version: 7, parentVersion: 6, step: 70);
        Assert.Equal([Name(4)], store.Prune(2, []));
        // Keep 0 leaves only what is pinned.
        Assert.Equal([Name(0)], store.Prune(0, [manifests[1].Uri]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Prune(-1, []));
    }

    [Fact]
    public async Task A_hash_the_caller_already_computed_is_used_and_a_wrong_one_is_refused_by_readers()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var hashed = await store.PublishAsync(MakeCheckpoint(7), version: 1, parentVersion: 0, step: 10);
        var told = await store.PublishAsync(MakeCheckpoint(7), version: 2, parentVersion: 1, step: 20, sha256: hashed.Sha256);
        Assert.Equal((hashed.Uri, hashed.Sha256, hashed.Bytes), (told.Uri, told.Sha256, told.Bytes));
        Assert.True((await store.VerifyAsync(told)).Ok);

        await Assert.ThrowsAsync<ArgumentException>(() => store.PublishAsync(MakeCheckpoint(8), 3, 2, 30, sha256: "ABC"));
        var lie = await store.PublishAsync(MakeCheckpoint(8), version: 3, parentVersion: 2, step: 30, sha256: new string('a', 64));
        var refused = await store.VerifyAsync(lie);
        Assert.False(refused.Ok);
        Assert.Equal("hash-mismatch", refused.Reason);
    }

    [Fact]
    public async Task Publishing_a_folder_without_weights_names_the_file()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => store.PublishAsync(empty, 1, null, 0));
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_one_file_system_the_store_links_the_checkpoint_files_instead_of_copying_them()
    {
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var checkpoint = MakeCheckpoint(11);
        var manifest = await store.PublishAsync(checkpoint, version: 1, parentVersion: 0, step: 10);
        var stored = Path.Combine((await store.VerifyAsync(manifest)).Directory!, WeightStoreDirectory.WeightsFile);

        // White box: change the checkpoint's file in place (nothing in the product does). A link shows the change in
        // the store; a copy would not.
        File.AppendAllText(Path.Combine(checkpoint, WeightStoreDirectory.WeightsFile), "!");
        var linked = new FileInfo(stored).Length == 4097;
        Assert.Equal(OperatingSystem.IsLinux(), linked);

        // The store's name outlives the checkpoint's.
        Directory.Delete(checkpoint, recursive: true);
        Assert.True(File.Exists(stored));
    }

    [Fact]
    public async Task Across_file_systems_the_store_copies()
    {
        // /dev/shm is a tmpfs on Linux, the temp folder usually a disk: a link between them fails and the store copies.
        const string Shm = "/dev/shm";
        if (!Directory.Exists(Shm))
        {
            return;
        }
        var checkpoint = Path.Combine(Shm, "align-weights-src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(checkpoint);
        try
        {
            File.WriteAllBytes(Path.Combine(checkpoint, WeightStoreDirectory.WeightsFile), new byte[] { 1, 2, 3, 4, 5 });
            File.WriteAllText(Path.Combine(checkpoint, "config.json"), "{\"model_type\":\"llama\"}");
            var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
            var manifest = await store.PublishAsync(checkpoint, version: 1, parentVersion: 0, step: 10);
            var verified = await store.VerifyAsync(manifest);
            Assert.True(verified.Ok, verified.Detail);
            File.AppendAllText(Path.Combine(checkpoint, WeightStoreDirectory.WeightsFile), "!");
            Assert.True((await store.VerifyAsync(manifest)).Ok, "the stored weights changed with the source: not a copy");
        }
        finally
        {
            Directory.Delete(checkpoint, recursive: true);
        }
    }
}
