namespace AlignStream.Trainer.Checkpoints;

/// <summary>One line of the trained ledger: the pair ids one optimizer step trained on.</summary>
public sealed record LedgerEntry(long Step, IReadOnlyList<string> PairIds);
