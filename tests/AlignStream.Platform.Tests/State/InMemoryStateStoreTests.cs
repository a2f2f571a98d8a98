using AlignStream.Platform.State;

namespace AlignStream.Platform.Tests.State;

/// <summary>The state-store contract on <see cref="InMemoryStateStore"/>, with a manual clock (expiry without waiting).</summary>
public sealed class InMemoryStateStoreTests : StateStoreContractTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private InMemoryStateStore? _store;

    /// <inheritdoc />
    protected override TimeSpan ShortTtl => TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    protected override IStateStore[] CreateClients(int count)
    {
        _store ??= new InMemoryStateStore(Namespace, _clock);
        return [.. Enumerable.Repeat<IStateStore>(_store, count)];
    }

    /// <inheritdoc />
    protected override IStateStore CreateOtherNamespace() => new InMemoryStateStore("other", _clock);

    /// <inheritdoc />
    protected override async Task PassAndWaitAsync(TimeSpan ttl, Func<Task<bool>> expired, string phase)
    {
        _clock.Advance(ttl - TimeSpan.FromMilliseconds(1));
        Assert.False(await expired(), $"{phase}: expired 1 ms early");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await expired(), $"{phase}: not expired at its time to live");
    }
}
