using AlignStream.Engine.Sampling;

namespace AlignStream.Generator.Tests.Support;

/// <summary>
/// A logits processor that leaves the logits alone but blocks the decode thread once, when a sequence is about to
/// draw its generated token number <c>pauseAtGenerated</c> (0-based): tests act while a sequence is in flight.
/// Sampling runs outside the policy's pass gate, so swaps can complete while it is paused.
/// </summary>
internal sealed class PausingProcessor(int promptLength, int pauseAtGenerated) : ILogitsProcessor
{
    private readonly SemaphoreSlim _release = new(0);
    private int _paused;

    /// <summary>Released once when the decode thread pauses.</summary>
    public SemaphoreSlim Paused { get; } = new(0);

    /// <summary>Lets the decode thread go on.</summary>
    public void Release() => _release.Release();

    public void Process(int sequence, ReadOnlySpan<int> tokensSoFar, Span<float> logits)
    {
        if (tokensSoFar.Length - promptLength == pauseAtGenerated && Interlocked.Exchange(ref _paused, 1) == 0)
        {
            Paused.Release();
            _release.Wait(TimeSpan.FromSeconds(60));
        }
    }
}
