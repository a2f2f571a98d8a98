using System.Globalization;
using AlignStream.Generator.Logging;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Platform.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Backpressure;

/// <summary>
/// Holds generation back while the trainer's backlog of untrained pairs (state-store value <see cref="BacklogKey"/>,
/// kept by the trainer) is above <c>Generator:MaxTrainerBacklog</c>, so the pairs topic never outgrows what the
/// trainer can take before the broker's retention drops it. Waits are short and cancellable.
/// </summary>
public sealed class TrainerBacklogGate(IStateStore state, IOptions<GeneratorOptions> options, GeneratorInstruments instruments, ILogger<TrainerBacklogGate> logger)
{
    /// <summary>The state-store key the trainer writes its backlog to.</summary>
    public const string BacklogKey = "trainer:backlog";

    /// <summary>Returns once the backlog is within the bound (or unknown: no trainer has reported yet).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var bound = options.Value.MaxTrainerBacklog;
        var poll = TimeSpan.FromMilliseconds(options.Value.BackpressurePollMs);
        var waited = false;
        while (true)
        {
            var raw = await state.GetValueAsync(BacklogKey, cancellationToken).ConfigureAwait(false);
            if (raw is null || !long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var backlog))
            {
                return;
            }
            instruments.BacklogObserved(backlog);
            if (backlog <= bound)
            {
                if (waited)
                {
                    GeneratorLog.BackpressureEnded(logger, backlog, bound);
                }
                return;
            }
            if (!waited)
            {
                GeneratorLog.BackpressureStarted(logger, backlog, bound);
                waited = true;
            }
            instruments.BackpressureWait();
            await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
        }
    }
}
