using AlignStream.Generator.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlignStream.Generator.Decoding;

/// <summary>
/// Runs the decode loop on its own long-running thread: step while there is work, sleep on the submission signal
/// when idle. Registered before the prompt consume loops so it stops after them: prompts already in the batch
/// finish and are published while the loops drain.
/// </summary>
/// <param name="decoder">Resolves the decoder at start (it loads the model), after the host validated the configuration.</param>
/// <param name="logger">The logger.</param>
public sealed class DecodeWorker(Func<ContinuousBatchDecoder> decoder, ILogger<DecodeWorker> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resolved = decoder();
        return Task.Factory.StartNew(() => Run(resolved, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Run(ContinuousBatchDecoder decoder, CancellationToken stoppingToken)
    {
        // Named so per-thread CPU accounting (top -H, /proc/PID/task) can tell the decode loop apart.
        Thread.CurrentThread.Name = "align-decode";
        GeneratorLog.DecodeLoopStarted(logger, decoder.Slots, decoder.Capacity, decoder.MaxStepTokens);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                bool progressed;
                try
                {
                    progressed = decoder.Step();
                }
#pragma warning disable CA1031 // An engine failure fails the prompts in flight (their handlers retry them); the loop lives on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    GeneratorLog.DecodeStepFailed(logger, e);
                    decoder.FailAll(e);
                    continue;
                }
                if (!progressed)
                {
                    decoder.WaitForWork(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping while idle.
        }
        finally
        {
            // Whatever is left was not published: its offsets are not stored, so it is redelivered.
            decoder.FailAll(null);
            GeneratorLog.DecodeLoopStopped(logger, decoder.StepCount);
        }
    }
}
