namespace AlignStream.Contracts.Events;

/// <summary>The reference model the scorer serves changed.</summary>
public sealed record ReferenceUpdated(long Version, string Uri, string Sha256, string Signature);
