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
    private bool _standbyReady;

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
    /// Loads a new version into the standby buffer and checks that every weight is finite, without touching the
    /// version being served. Call <see cref="Flip"/> afterwards (between two passes) to serve it. One loader at a time.
    /// </summary>
    public bool TryLoadStandby(Action<ParameterSet> load, string version, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(load);
        var standby = _standby;
        _standbyReady = false;
        load(standby);
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(standby.Data)))
        {
            // A NaN or an infinity anywhere makes the sum non-finite (an overflowing sum of finite weights is
            // refused too, which no trained checkpoint comes near).
            reason = $"version {version} holds non-finite weights (a weight is not finite: NaN or infinity); keeping version {Current.Version}";
            return false;
        }
        standby.Version = version;
        _standbyReady = true;
        reason = null;
        return true;
    }

    /// <summary>
    /// Serves the version loaded by <see cref="TryLoadStandby"/>: one reference exchange, cheap enough to run between
    /// two decode steps. The previous buffer becomes the next standby.
    /// </summary>
    public void Flip()
    {
        if (!_standbyReady)
        {
            throw new InvalidOperationException("nothing verified in the standby buffer: call TryLoadStandby first");
        }
        _standbyReady = false;
        var old = Interlocked.Exchange(ref _current, _standby);
        _standby = old;
    }

    /// <summary>Loads, verifies and flips in one call, for callers with no pass boundary to respect.</summary>
    public bool LoadAndFlip(Action<ParameterSet> load, string version, out string? reason)
    {
        if (!TryLoadStandby(load, version, out reason))
        {
            return false;
        }
        Flip();
        return true;
    }
}
