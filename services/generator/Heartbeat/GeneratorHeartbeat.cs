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
/// <param name="state">The state store.</param>
/// <param name="options">Generator options.</param>
/// <param name="policy">Resolves the policy at start (after configuration validation).</param>
/// <param name="decoder">Resolves the decoder at start.</param>
/// <param name="logger">The logger.</param>
public sealed class GeneratorHeartbeat(
    IStateStore state, IOptions<GeneratorOptions> options, Func<PolicyRuntime> policy, Func<ContinuousBatchDecoder> decoder, ILogger<GeneratorHeartbeat> logger) : BackgroundService
{
    /// <summary>The heartbeat details written for this instance (JSON).</summary>
    public string Details() => Details(policy(), decoder());

    private static string Details(PolicyRuntime policy, ContinuousBatchDecoder decoder) => JsonSerializer.Serialize(new Dictionary<string, object>
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
        var (served, batch) = (policy(), decoder());
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                await state.BeatAsync(id, period * 3, Details(served, batch), stoppingToken).ConfigureAwait(false);
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
