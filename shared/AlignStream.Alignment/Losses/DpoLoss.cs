namespace AlignStream.Alignment.Losses;

/// <summary>
/// Sigmoid DPO with optional label smoothing (ALGORITHMS.md §0.1), on summed sequence log-probs:
/// L = (1−ε)·softplus(−βh) + ε·softplus(βh), with h = (logp_θ(y_w) − logp_ref(y_w)) − (logp_θ(y_l) − logp_ref(y_l)).
/// </summary>
public sealed class DpoLoss
{
    private readonly DpoOptions _options;

    public DpoLoss(DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    public DpoOptions Options => _options;

    /// <summary>Loss and ∂L/∂h from summed log-probs of one pair.</summary>
    public DpoResult Compute(double policyChosen, double referenceChosen, double policyRejected, double referenceRejected)
    {
        var deltaW = policyChosen - referenceChosen;
        var deltaL = policyRejected - referenceRejected;
        return FromLogRatios(deltaW, deltaL);
    }

    /// <summary>Loss from the two log-ratios Δ(y_w), Δ(y_l) directly.</summary>
    public DpoResult FromLogRatios(double chosenLogRatio, double rejectedLogRatio)
    {
        EnsureFinite(chosenLogRatio, "chosen log-ratio");
        EnsureFinite(rejectedLogRatio, "rejected log-ratio");
        var beta = _options.Beta;
        var eps = _options.LabelSmoothing;
        var h = chosenLogRatio - rejectedLogRatio;
        var u = beta * h;
        var loss = ((1 - eps) * Numerics.Softplus(-u)) + (eps * Numerics.Softplus(u));
        // d softplus(−u)/dh = −β·σ(−u); d softplus(u)/dh = β·σ(u).
        var grad = (-(1 - eps) * beta * Numerics.Sigmoid(-u)) + (eps * beta * Numerics.Sigmoid(u));
        return new DpoResult(loss, h, grad, beta * chosenLogRatio, beta * rejectedLogRatio);
    }

    internal static void EnsureFinite(double value, string what)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"DPO input '{what}' is {value}; log-probs must be finite (check the reference cache and the masks).");
        }
    }
}
