namespace AlignStream.Platform.State;

/// <summary>Which current-manifest pointer: the policy served by generators or the reference used by scorers.</summary>
public enum ManifestKind
{
    /// <summary><c>{ns}:policy:current</c>.</summary>
    Policy,

    /// <summary><c>{ns}:reference:current</c>.</summary>
    Reference,
}
