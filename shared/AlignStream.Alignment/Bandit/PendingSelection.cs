namespace AlignStream.Alignment.Bandit;

/// <summary>A selection waiting for its training loss (delayed feedback, ALGORITHMS.md §3.6), keyed by batch id.</summary>
public sealed record PendingSelection(string BatchId, int Arm, double[] Context);
