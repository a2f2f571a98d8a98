namespace AlignStream.Contracts.Events;

/// <summary>The trainer wrote a new policy version into the weight store.</summary>
public sealed record PolicyWeightsPublished(
    long Version,
    long Step,
    string Uri,
    string Sha256,
    long Bytes,
    string Signature,
    long ParentVersion);
