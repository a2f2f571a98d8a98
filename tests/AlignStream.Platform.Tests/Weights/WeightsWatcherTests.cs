using System.Diagnostics.Metrics;
using AlignStream.Platform.State;
using AlignStream.Platform.Weights;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignStream.Platform.Tests.Weights;

public sealed class WeightsWatcherTests : IDisposable
{
    private const string Key = "watcher-test-key-0123456789";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "align-watch-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Records what it was asked to load; the real targets (generator, scorer) are tested in their services.</summary>
    private sealed class RecordingTarget : IHotSwapTarget
    {
        public ManifestKind Kind => ManifestKind.Policy;

        public long ServingVersion { get; private set; }

        public List<long> Loaded { get; } = [];

        public Task<(bool Ok, string? Reason)> SwapAsync(string checkpointDirectory, WeightsManifest manifest, CancellationToken cancellationToken)
        {
            Assert.True(File.Exists(Path.Combine(checkpointDirectory, WeightStoreDirectory.WeightsFile)));
            Loaded.Add(manifest.Version);
            ServingVersion = manifest.Version;
            return Task.FromResult<(bool, string?)>((true, null));
        }
    }

    private string Checkpoint(int seed)
    {
        var dir = Path.Combine(_root, "ckpt-" + seed);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, WeightStoreDirectory.WeightsFile), Enumerable.Range(0, 512).Select(i => (byte)(i ^ seed)).ToArray());
        return dir;
    }

    [Fact]
    public async Task Swaps_to_newer_signed_versions_and_keeps_serving_when_one_is_corrupt()
    {
        var state = new InMemoryStateStore();
        var store = new WeightStoreDirectory(Path.Combine(_root, "store"), new ManifestSigner(Key));
        var target = new RecordingTarget();
        using var watcher = new WeightsWatcher(target, state, store, new WeightsInstruments(_services.GetRequiredService<IMeterFactory>()),
            NullLogger<WeightsWatcher>.Instance);

        Assert.Equal(0, await watcher.CheckOnceAsync(CancellationToken.None));

        var v1 = await store.PublishAsync(Checkpoint(1), 1, null, 10);
        await state.SetManifestAsync(ManifestKind.Policy, v1);
        Assert.Equal(1, await watcher.CheckOnceAsync(CancellationToken.None));

        // Version 2 is signed with another key: refused, version 1 keeps serving, and it is not retried.
        var v2 = await store.PublishAsync(Checkpoint(2), 2, 1, 20);
        await state.SetManifestAsync(ManifestKind.Policy, new ManifestSigner("someone-else-key-0123456").Sign(v2));
        Assert.Equal(1, await watcher.CheckOnceAsync(CancellationToken.None));
        Assert.Equal(1, await watcher.CheckOnceAsync(CancellationToken.None));

        // Version 3 has its file corrupted after publication: refused.
        var v3 = await store.PublishAsync(Checkpoint(3), 3, 1, 30);
        var file = Path.Combine(store.Root, v3.Uri["weights:".Length..], WeightStoreDirectory.WeightsFile);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[7] ^= 1;
        await File.WriteAllBytesAsync(file, bytes);
        await state.SetManifestAsync(ManifestKind.Policy, v3);
        Assert.Equal(1, await watcher.CheckOnceAsync(CancellationToken.None));

        var v4 = await store.PublishAsync(Checkpoint(4), 4, 1, 40);
        await state.SetManifestAsync(ManifestKind.Policy, v4);
        Assert.Equal(4, await watcher.CheckOnceAsync(CancellationToken.None));
        Assert.Equal([1L, 4L], target.Loaded);
    }
}
