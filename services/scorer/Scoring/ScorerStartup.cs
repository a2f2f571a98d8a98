using Microsoft.Extensions.Hosting;

namespace AlignStream.Scorer.Reference;

/// <summary>
/// Hosts the <see cref="ReferenceWatcher"/>, resolving it (and with it the reference model and its options) only
/// when the host starts it: constructing hosted services must not read options, so that start-up validation can
/// report every invalid setting at once.
/// </summary>
public sealed class ReferenceWatcherService(IServiceProvider services) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => services.GetRequiredService<ReferenceWatcher>().StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => services.GetRequiredService<ReferenceWatcher>().StopAsync(cancellationToken);
}
