namespace AlignStream.Trainer.Checkpoints;

/// <summary>A complete checkpoint found on disk: its folder and its state.</summary>
public sealed record LoadedCheckpoint(string Directory, TrainerCheckpointState State);
