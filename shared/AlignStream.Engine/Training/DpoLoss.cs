namespace AlignStream.Engine.Training;

/// <summary>
/// Sigmoid DPO loss of one pair (ALGORITHMS.md §0.1): h = (π_w − ref_w) − (π_l − ref_l),
/// L = (1−ε)·softplus(−βh) + ε·softplus(βh); the gradient is with respect to h (∂L/∂π_w = ∂L/∂h, ∂L/∂π_l = −∂L/∂h).
/// </summary>
public static class DpoLoss
{
    /// <summary>Numerically stable softplus(u) = max(u, 0) + log1p(exp(−|u|)).</summary>
    public static double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));

    /// <summary>Logistic σ(u), stable for large |u|.</summary>
    public static double Sigmoid(double u) => u >= 0 ? 1 / (1 + Math.Exp(-u)) : Math.Exp(u) / (1 + Math.Exp(u));

    /// <summary>Loss and ∂L/∂h for one pair.</summary>
    public static (double Loss, double DLossDMargin) Compute(double policyChosen, double refChosen, double policyRejected, double refRejected, double beta, double labelSmoothing = 0)
    {
        var h = (policyChosen - refChosen) - (policyRejected - refRejected);
        var bh = beta * h;
        var loss = ((1 - labelSmoothing) * Softplus(-bh)) + (labelSmoothing * Softplus(bh));
        var grad = (-(1 - labelSmoothing) * beta * Sigmoid(-bh)) + (labelSmoothing * beta * Sigmoid(bh));
        return (loss, grad);
    }
}
