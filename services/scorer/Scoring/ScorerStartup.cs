using AlignStream.Scorer.Reference;
using Microsoft.Extensions.Hosting;

namespace AlignStream.Scorer.Scoring;

/// <summary>
/// Starts the scorer's own parts when the host starts (after options validation, which runs after hosted services
/// are constructed, so construction here reads nothing): it builds the scoring pipeline first — reference model,
/// reward models and their data — so a missing model folder or data cache stops the host at start instead of
/// dead-lettering every record, then starts the reference watcher.
/// </summary>
public sealed class ScorerStartup(IServiceProvider services) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<CandidateSetScorer>();
        return services.GetRequiredService<ReferenceWatcher>().StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => services.GetRequiredService<ReferenceWatcher>().StopAsync(cancellationToken);
}
