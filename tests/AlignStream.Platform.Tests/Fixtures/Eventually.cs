using System.Diagnostics;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>Bounded waits on a condition: no fixed sleeps, and a timeout message that names the phase and last state.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until true; throws <see cref="TimeoutException"/> naming <paramref name="phase"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string phase, Func<string>? state = null)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                last = ex;
            }

            if (clock.Elapsed > timeout)
            {
                var detail = state?.Invoke() ?? last?.Message ?? "condition still false";
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for: {phase}. Last state: {detail}", last);
            }

            await Task.Delay(delay).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(200, delay.TotalMilliseconds * 2));
        }
    }

    /// <summary>Synchronous-condition overload.</summary>
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string phase, Func<string>? state = null) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, phase, state);
}
