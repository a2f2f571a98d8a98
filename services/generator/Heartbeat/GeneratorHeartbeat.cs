using System.Text.Json;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Logging;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Platform.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Heartbeat;

/// <summary>Marks this generator live in the state store every <c>Generator:HeartbeatSeconds</c>, with what it serves and how busy it is.</summary>
public sealed class GeneratorHeartbeat(
    IStateStore state, IOptions<GeneratorOptions> options, PolicyRuntime policy, ContinuousBatchDecoder decoder, ILogger<GeneratorHeartbeat> logger) : BackgroundService
{
    /// <summary>The heartbeat details written for this instance (JSON).</summary>
    public string Details() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["stage"] = "generator",
        ["policy_version"] = policy.Version,
        ["active_sequences"] = decoder.ActiveCount,
        ["waiting_sequences"] = decoder.WaitingCount,
        ["slots"] = decoder.Slots,
    });

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        var id = options.Value.EffectiveGeneratorId;
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                await state.BeatAsync(id, period * 3, Details(), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The store may be briefly unreachable; the next beat retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                GeneratorLog.HeartbeatFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
