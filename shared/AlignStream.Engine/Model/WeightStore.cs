namespace AlignStream.Engine.Model;

/// <summary>
/// Live weights plus one standby buffer for hot swap: new weights are written into the standby set,
/// verified, and published by an atomic reference exchange. Readers take <see cref="Current"/> once per
/// forward pass, so a flip never tears a pass; the old set becomes the next standby. The next load
/// overwrites that old set, so a reader must finish its pass (a generation pins one set from prefill to
/// its last token) before the following swap; swaps come from training steps, far apart from passes.
/// </summary>
public sealed class WeightStore
{
    private ParameterSet _current;
    private ParameterSet _standby;

    /// <summary>Wraps the initial weights and allocates the standby buffer.</summary>
    public WeightStore(ParameterSet initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
        _standby = new ParameterSet(initial.Layout, "standby");
    }

    /// <summary>The weights a new pass should use.</summary>
    public ParameterSet Current => Volatile.Read(ref _current);

    /// <summary>
    /// Fills the standby buffer with <paramref name="load"/>, checks every value is finite, then flips.
    /// Returns false (and keeps the current weights) when verification fails. Not for concurrent writers:
    /// one loader at a time (the caller serialises swaps).
    /// </summary>
    public bool LoadAndFlip(Action<ParameterSet> load, string version, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(load);
        var standby = _standby;
        load(standby);
        for (var i = 0; i < standby.Data.Length; i++)
        {
            if (!float.IsFinite(standby.Data[i]))
            {
                reason = $"weight {i} of version {version} is not finite; keeping version {Current.Version}";
                return false;
            }
        }
        standby.Version = version;
        var old = Interlocked.Exchange(ref _current, standby);
        _standby = old;
        reason = null;
        return true;
    }
}
