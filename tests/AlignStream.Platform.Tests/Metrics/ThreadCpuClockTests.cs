using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Tests.Metrics;

public sealed class ThreadCpuClockTests
{
    [Fact]
    public void Counts_work_on_this_thread_and_not_time_spent_asleep()
    {
        Assert.True(ThreadCpuClock.IsSupported, "the thread CPU clock should be readable on Linux");
        Assert.True(ThreadCpuClock.TryNow(out var start));

        // Busy for a measurable amount of CPU: the clock must advance.
        var x = 1.0;
        while (ThreadCpuClock.Since(start) < 0.05)
        {
            for (var i = 0; i < 10_000; i++)
            {
                x = Math.Sqrt(x + i);
            }
        }
        Assert.True(x > 0);
        var busy = ThreadCpuClock.Since(start);
        Assert.InRange(busy, 0.05, 10);

        // Asleep for 300 ms: the thread uses almost no CPU, whatever else the machine is doing.
        Assert.True(ThreadCpuClock.TryNow(out var beforeSleep));
        Thread.Sleep(300);
        Assert.InRange(ThreadCpuClock.Since(beforeSleep), 0, 0.1);
    }

    [Fact]
    public void Process_cpu_is_at_least_this_threads_cpu()
    {
        Assert.True(ThreadCpuClock.TryNow(out var thread));
        Assert.True(PlatformInstruments.ProcessCpuSeconds() >= thread);
    }
}
