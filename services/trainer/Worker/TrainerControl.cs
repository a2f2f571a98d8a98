namespace AlignStream.Trainer.Worker;

/// <summary>Operator control of the trainer loop (PipelineCommand): pause, resume, drain.</summary>
public sealed class TrainerControl
{
    private volatile bool _paused;
    private volatile bool _drainRequested;

    /// <summary>True while consumption is paused.</summary>
    public bool Paused => _paused;

    /// <summary>Stops taking new pairs (training of the pending batch waits too).</summary>
    public void Pause() => _paused = true;

    /// <summary>Continues.</summary>
    public void Resume() => _paused = false;

    /// <summary>Asks the loop to train whatever is pending now and write a checkpoint.</summary>
    public void RequestDrain() => _drainRequested = true;

    /// <summary>Takes (and clears) a pending drain request.</summary>
    public bool TakeDrainRequest()
    {
        if (!_drainRequested)
        {
            return false;
        }
        _drainRequested = false;
        return true;
    }
}
