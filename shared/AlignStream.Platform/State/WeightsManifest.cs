namespace AlignStream.Platform.State;

/// <summary>
/// Pointer to one published set of weights: what a generator (policy) or scorer (reference) should serve.
/// Stored as JSON at <c>{ns}:policy:current</c> / <c>{ns}:reference:current</c>.
/// </summary>
/// <param name="Version">Monotonic version number.</param>
/// <param name="ParentVersion">Version this one was trained from; null for the first.</param>
/// <param name="Step">Trainer optimizer step that produced it.</param>
/// <param name="Uri">Where the weights file lives in the weight store.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the weights file.</param>
/// <param name="Bytes">Size of the weights file.</param>
/// <param name="Signature">HMAC signature over the manifest fields.</param>
/// <param name="CreatedAt">When the trainer wrote it.</param>
public sealed record WeightsManifest(
    long Version,
    long? ParentVersion,
    long Step,
    string Uri,
    string Sha256,
    long Bytes,
    string Signature,
    DateTimeOffset CreatedAt);
