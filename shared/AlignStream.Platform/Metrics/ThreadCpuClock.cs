using System.Runtime.InteropServices;

namespace AlignStream.Platform.Metrics;

/// <summary>
/// CPU time consumed by the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), for charging work to the engine
/// in CPU seconds rather than wall-clock: a pass that was descheduled half the time costs half its duration. Where
/// the clock is not available <see cref="TryNow"/> returns false and callers record nothing.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    private static readonly bool s_supported = Probe();

    /// <summary>True when the thread CPU clock can be read on this platform.</summary>
    public static bool IsSupported => s_supported;

    /// <summary>The calling thread's CPU time in seconds; false when the clock is not available.</summary>
    public static bool TryNow(out double seconds)
    {
        if (s_supported && ClockGetTime(ClockThreadCpuTimeId, out var ts) == 0)
        {
            seconds = ts.Seconds + (ts.Nanoseconds * 1e-9);
            return true;
        }
        seconds = 0;
        return false;
    }

    /// <summary>Seconds of CPU the calling thread spent since <paramref name="start"/> (a <see cref="TryNow"/> reading), or 0.</summary>
    public static double Since(double start) => TryNow(out var now) ? Math.Max(0, now - start) : 0;

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
