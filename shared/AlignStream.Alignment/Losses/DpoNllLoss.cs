namespace AlignStream.Alignment.Losses;

/// <summary>
/// DPO plus the mean per-token negative log-likelihood of the chosen response (the LASeR reasoning
/// loss, ALGORITHMS.md §3.2): L = L_DPO + c·(−(1/T_w)·Σ_t logp_θ(y_w,t)), c = <see cref="NllWeight"/>.
/// </summary>
public sealed class DpoNllLoss
{
    private readonly TokenWeightedDpoLoss _dpo;

    public DpoNllLoss(DpoOptions options, double nllWeight = 1.0)
    {
        if (!(nllWeight >= 0) || double.IsInfinity(nllWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(nllWeight), nllWeight, "DpoNll.NllWeight must be a finite number >= 0 (1 matches LASeR).");
        }
        _dpo = new TokenWeightedDpoLoss(options);
        NllWeight = nllWeight;
    }

    public double NllWeight { get; }

    /// <summary>Loss and per-token gradients (the NLL adds −c/T_w to every chosen token's gradient).</summary>
    public TokenDpoResult Compute(
        ReadOnlySpan<double> policyChosen, ReadOnlySpan<double> referenceChosen,
        ReadOnlySpan<double> policyRejected, ReadOnlySpan<double> referenceRejected)
    {
        if (policyChosen.IsEmpty)
        {
            throw new ArgumentException("the chosen response has no tokens; its mean NLL is undefined (the EOS token counts, so a generated response has at least one).");
        }
        var dpo = _dpo.Compute(policyChosen, referenceChosen, [], policyRejected, referenceRejected, []);
        var sum = 0.0;
        foreach (var lp in policyChosen)
        {
            sum += lp;
        }
        var n = policyChosen.Length;
        var nll = -sum / n;
        var gw = dpo.ChosenTokenGradients;
        for (var t = 0; t < gw.Length; t++)
        {
            gw[t] -= NllWeight / n;
        }
        return dpo with { Loss = dpo.Loss + (NllWeight * nll) };
    }
}
