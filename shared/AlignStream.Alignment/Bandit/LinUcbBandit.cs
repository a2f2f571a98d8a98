using System.Globalization;
using System.Numerics.Tensors;
using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Bandit;

/// <summary>
/// LASeR's disjoint LinUCB over reward models (ALGORITHMS.md §3.1): UCB_k = xᵀθ_k + α·sqrt(xᵀA_k⁻¹x),
/// θ_k = A_k⁻¹b_k, ties to the lowest arm. A_k⁻¹ is kept by Sherman–Morrison rank-1 updates, so a
/// step costs O(K·d²) with no inversion. Feedback may arrive late and in any order: selections are
/// remembered by batch id until their loss arrives (§3.6). Not thread-safe: one owner per instance.
/// </summary>
public sealed class LinUcbBandit
{
    private readonly LinUcbOptions _options;
    private readonly Dictionary<string, PendingSelection> _pending = new(StringComparer.Ordinal);
    private BanditState _state;
    private double[][] _inverse;

    // θ_k = A_k⁻¹b_k, recomputed only for arms whose A or b changed since the last Score.
    private double[]?[] _theta;

    public LinUcbBandit(LinUcbOptions options, BanditState? state = null)
        : this(options, state, null)
    {
    }

    /// <summary>
    /// As above, reusing A_k⁻¹ where <paramref name="knownInverse"/> returns it for arm k (a row-major d×d inverse of
    /// exactly that arm's A in <paramref name="state"/>, e.g. kept from an earlier snapshot in which the arm had the
    /// same pulls); the other arms are inverted. The arrays are used as given, not copied.
    /// </summary>
    public LinUcbBandit(LinUcbOptions options, BanditState? state, Func<int, double[]?>? knownInverse)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _state = state ?? BanditState.Create(options.Arms, options.Dimension);
        CheckState(_state);
        _inverse = new double[_state.Arms][];
        for (var k = 0; k < _state.Arms; k++)
        {
            var known = knownInverse?.Invoke(k);
            if (known is not null && known.Length != _state.Dimension * _state.Dimension)
            {
                throw new ArgumentException($"the inverse given for arm {k} has {known.Length} entries; expected {_state.Dimension}x{_state.Dimension}.", nameof(knownInverse));
            }
            _inverse[k] = known ?? Matrices.Invert(_state.A[k], _state.Dimension);
        }
        _theta = new double[]?[_state.Arms];
    }

    public LinUcbOptions Options => _options;

    /// <summary>The live state (A, b, counts, history); serialise it to share it.</summary>
    public BanditState State => _state;

    /// <summary>A_k⁻¹ as maintained by Sherman–Morrison, row-major [d, d] (read-only view for tests and diagnostics).</summary>
    public ReadOnlySpan<double> InverseOf(int arm) => _inverse[arm];

    /// <summary>
    /// A_k⁻¹'s own array, not a copy: for a read-only successor built over a state that shares arm k's A (and b) with
    /// this bandit, which then need not invert or copy it. Once shared, neither bandit may be updated
    /// (<see cref="Apply"/>, <see cref="Feedback"/> and <see cref="Observe"/> change it in place).
    /// </summary>
    public double[] SharedInverse(int arm) => _inverse[arm];

    /// <summary>Selections still waiting for feedback.</summary>
    public IReadOnlyCollection<PendingSelection> Pending => _pending.Values;

    /// <summary>Scores every arm on the context and returns the best (no bookkeeping).</summary>
    public BanditChoice Score(ReadOnlySpan<double> context)
    {
        var x = PrepareContext(context);
        var ucb = new double[_options.Arms];
        for (var k = 0; k < ucb.Length; k++)
        {
            var ainvX = Matrices.Multiply(_inverse[k], x);
            var theta = _theta[k] ??= Matrices.Multiply(_inverse[k], _state.B[k]);
            var variance = Math.Max(0.0, Matrices.Dot(x, ainvX));
            ucb[k] = Matrices.Dot(x, theta) + (_options.Alpha * Math.Sqrt(variance));
        }
        return new BanditChoice(Numerics.ArgMax(ucb), ucb, x);
    }

    /// <summary>Selects an arm for a batch and remembers it until <see cref="Feedback"/> brings the batch's loss.</summary>
    public BanditChoice Select(string batchId, ReadOnlySpan<double> context)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        if (_pending.ContainsKey(batchId))
        {
            throw new InvalidOperationException($"batch '{batchId}' already has a pending selection; batch ids must be unique until their feedback arrives.");
        }
        var choice = Score(context);
        _pending[batchId] = new PendingSelection(batchId, choice.Arm, choice.Context);
        return choice;
    }

    /// <summary>Applies the loss of a previously selected batch; returns the update that was applied.</summary>
    public BanditUpdate Feedback(string batchId, double loss)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        if (!_pending.Remove(batchId, out var pending))
        {
            throw new KeyNotFoundException($"no pending selection for batch '{batchId}' (feedback for an unknown or already-updated batch).");
        }
        var update = PrepareUpdate(pending.Arm, pending.Context, loss);
        Apply(update);
        return update;
    }

    /// <summary>Immediate feedback: update <paramref name="arm"/> with the context it was played on and its loss.</summary>
    public BanditUpdate Observe(int arm, ReadOnlySpan<double> context, double loss)
    {
        var update = PrepareUpdate(arm, PrepareContext(context), loss);
        Apply(update);
        return update;
    }

    /// <summary>
    /// Builds (without applying) the delta for one feedback: r = −loss, normalised against the pooled
    /// history including r. Replicas send this to the shared store, then <see cref="Apply"/> or <see cref="Refresh"/>.
    /// </summary>
    public BanditUpdate PrepareUpdate(int arm, double[] normalizedContext, double loss)
    {
        ArgumentNullException.ThrowIfNull(normalizedContext);
        if ((uint)arm >= (uint)_options.Arms)
        {
            throw new ArgumentOutOfRangeException(nameof(arm), arm, $"arm must be in [0, {_options.Arms - 1}].");
        }
        if (!double.IsFinite(loss))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"loss {loss} for arm {arm} is not finite; the trainer step diverged, so no bandit update is made."), nameof(loss));
        }
        var raw = -loss;
        return new BanditUpdate(arm, (double[])normalizedContext.Clone(), raw, NormalizeReward(raw));
    }

    /// <summary>r̃ for a raw reward r as if r were appended to the history now (§3.1, with the hi = lo guard).</summary>
    public double NormalizeReward(double raw)
    {
        if (_options.Normalization == RewardNormalization.None)
        {
            return raw;
        }
        return QuantileRewardNormalizer.Normalize(_state.History, raw, _options.LowPercentile, _options.HighPercentile);
    }

    /// <summary>Applies an update to the state and to A⁻¹ (Sherman–Morrison); also used for updates made by other replicas.</summary>
    public void Apply(BanditUpdate update)
    {
        _state.Apply(update);
        ShermanMorrison(_inverse[update.Arm], update.Context);
        _theta[update.Arm] = null;
    }

    /// <summary>
    /// Recomputes A_k⁻¹ of one arm in full from its A in <see cref="State"/> (after the owner set A exactly, e.g. from
    /// sums kept beside it), which drops the rounding that Sherman–Morrison updates accumulate.
    /// </summary>
    public void Reinvert(int arm)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arm);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(arm, _state.Arms);
        _inverse[arm] = Matrices.Invert(_state.A[arm], _state.Dimension);
        _theta[arm] = null;
    }

    /// <summary>Replaces the state (e.g. freshly read from the shared store) and recomputes every A_k⁻¹ in full.</summary>
    public void Refresh(BanditState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckState(state);
        _state = state;
        _inverse = InvertAll(state);
        _theta = new double[]?[state.Arms];
    }

    /// <summary>x, L2-normalised when the options say so (a zero vector stays zero).</summary>
    public double[] PrepareContext(ReadOnlySpan<double> context)
    {
        if (context.Length != _options.Dimension)
        {
            throw new ArgumentException($"context has width {context.Length}; the bandit's dimension is {_options.Dimension}.", nameof(context));
        }
        var x = context.ToArray();
        for (var i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"context[{i}] is {x[i]}; contexts must be finite."), nameof(context));
            }
        }
        if (_options.NormalizeContexts)
        {
            var norm = Math.Sqrt(Matrices.Dot(x, x));
            if (norm > 0)
            {
                for (var i = 0; i < x.Length; i++)
                {
                    x[i] /= norm;
                }
            }
        }
        return x;
    }

    /// <summary>A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x); A⁻¹ is symmetric so one product suffices.</summary>
    private static void ShermanMorrison(double[] inverse, double[] x)
    {
        var d = x.Length;
        var u = Matrices.Multiply(inverse, x);
        var denom = 1.0 + Matrices.Dot(x, u);
        for (var i = 0; i < d; i++)
        {
            var row = inverse.AsSpan(i * d, d);
            TensorPrimitives.MultiplyAdd(u, -u[i] / denom, row, row);
        }
    }

    private static double[][] InvertAll(BanditState state) =>
        state.A.Select(a => Matrices.Invert(a, state.Dimension)).ToArray();

    private void CheckState(BanditState state)
    {
        if (state.Arms != _options.Arms || state.Dimension != _options.Dimension)
        {
            throw new ArgumentException($"state has {state.Arms} arms of dimension {state.Dimension}; options say Bandit.Arms={_options.Arms}, Bandit.Dimension={_options.Dimension}.");
        }
    }
}
