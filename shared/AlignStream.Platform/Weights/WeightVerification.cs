namespace AlignStream.Platform.Weights;

/// <summary>Outcome of checking a published version before it is served.</summary>
/// <param name="Ok">True when hash, size and signature all match.</param>
/// <param name="Directory">The checkpoint folder to load (config.json, model.safetensors) when <paramref name="Ok"/>.</param>
/// <param name="Reason">Why it was refused: <c>unsigned</c>, <c>bad-signature</c>, <c>missing</c>, <c>size-mismatch</c>, <c>hash-mismatch</c>.</param>
/// <param name="Detail">A sentence for the log.</param>
public sealed record WeightVerification(bool Ok, string? Directory, string Reason, string Detail)
{
    public static WeightVerification Refused(string reason, string detail) => new(false, null, reason, detail);
}
