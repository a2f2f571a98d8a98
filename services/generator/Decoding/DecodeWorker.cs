using AlignStream.Generator.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlignStream.Generator.Decoding;

/// <summary>
/// Runs the decode loop on its own long-running thread: step while there is work, sleep on the submission signal
/// when idle. Registered before the prompt consume loops so it stops after them: prompts already in the batch
/// finish and are published while the loops drain.
/// </summary>
public sealed class DecodeWorker(ContinuousBatchDecoder decoder, ILogger<DecodeWorker> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
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
