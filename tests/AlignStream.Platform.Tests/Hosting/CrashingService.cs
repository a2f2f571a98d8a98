using Microsoft.Extensions.Hosting;

namespace AlignStream.Platform.Tests.Hosting;

/// <summary>A background service that fails, as a crashed consume loop would: at once, or only after the host has started.</summary>
public sealed class CrashingService(IHostApplicationLifetime lifetime, CrashingService.When when) : BackgroundService
{
    /// <summary>When the service crashes.</summary>
    public enum When
    {
        /// <summary>While the host is still starting.</summary>
        DuringStart,

        /// <summary>After the host reported it has started.</summary>
        AfterStart,
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (when == When.AfterStart)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        await Task.Yield();
        throw new InvalidOperationException("deliberate crash");
    }
}
