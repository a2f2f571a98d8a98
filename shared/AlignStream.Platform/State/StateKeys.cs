namespace AlignStream.Platform.State;

/// <summary>The store's key layout under one namespace (default <c>align</c>), shared by both implementations.</summary>
internal sealed class StateKeys(string ns)
{
    public string Namespace { get; } = ns;

    public string Manifest(ManifestKind kind) => kind switch
    {
        ManifestKind.Policy => $"{Namespace}:policy:current",
        ManifestKind.Reference => $"{Namespace}:reference:current",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown manifest kind"),
    };

    public string Bandit(string name) => $"{Namespace}:bandit:{name}";

    public string BanditLog(string name) => $"{Namespace}:bandit-log:{name}";

    public string Heartbeats => $"{Namespace}:heartbeats";

    public string HeartbeatDetails => $"{Namespace}:heartbeats:details";

    public string Idempotency(string key) => $"{Namespace}:idem:{key}";

    public string Value(string key) => $"{Namespace}:value:{key}";

    public string Recent(string key) => $"{Namespace}:recent:{key}";

    public string RecentCount(string key) => $"{Namespace}:recent-count:{key}";
}
