namespace AlignStream.Alignment.Losses;

/// <summary>
/// Masked or token-weighted DPO (ALGORITHMS.md §5B): h = Σ_t w^w_t·Δ_t(y_w) − Σ_t w^l_t·Δ_t(y_l), with
/// Δ_t = logp_θ(y_t|·) − logp_ref(y_t|·). A 0/1 mask is the special case of weights in {0, 1}; no
/// weights means all ones, which is plain DPO on summed log-probs.
/// </summary>
public sealed class TokenWeightedDpoLoss
{
    private readonly DpoLoss _dpo;

    public TokenWeightedDpoLoss(DpoOptions options) => _dpo = new DpoLoss(options);

    public DpoOptions Options => _dpo.Options;

    /// <summary>
    /// Loss and per-token gradients. Each span pair must have equal lengths (one entry per response token);
    /// weights may be empty to mean "all ones".
    /// </summary>
    public TokenDpoResult Compute(
        ReadOnlySpan<double> policyChosen, ReadOnlySpan<double> referenceChosen, ReadOnlySpan<double> chosenWeights,
        ReadOnlySpan<double> policyRejected, ReadOnlySpan<double> referenceRejected, ReadOnlySpan<double> rejectedWeights)
    {
        var dw = WeightedLogRatio(policyChosen, referenceChosen, chosenWeights, "chosen");
        var dl = WeightedLogRatio(policyRejected, referenceRejected, rejectedWeights, "rejected");
        var result = _dpo.FromLogRatios(dw, dl);
        var gw = new double[policyChosen.Length];
        var gl = new double[policyRejected.Length];
        for (var t = 0; t < gw.Length; t++)
        {
            gw[t] = result.DLossDMargin * Weight(chosenWeights, t);
        }
        for (var t = 0; t < gl.Length; t++)
        {
            gl[t] = -result.DLossDMargin * Weight(rejectedWeights, t);
        }
        return new TokenDpoResult(result, result.Loss, gw, gl);
    }

    /// <summary>Σ_t w_t·(policy_t − reference_t), summed in double (convention 3).</summary>
    internal static double WeightedLogRatio(ReadOnlySpan<double> policy, ReadOnlySpan<double> reference, ReadOnlySpan<double> weights, string side)
    {
        if (policy.Length != reference.Length)
        {
            throw new ArgumentException($"{side}: policy has {policy.Length} token log-probs but reference has {reference.Length}; both must cover the same response tokens.");
        }
        if (!weights.IsEmpty && weights.Length != policy.Length)
        {
            throw new ArgumentException($"{side}: {weights.Length} weights for {policy.Length} tokens; pass one weight per response token or none.");
        }
        var sum = 0.0;
        for (var t = 0; t < policy.Length; t++)
        {
            var w = Weight(weights, t);
            if (!double.IsFinite(w) || w < 0)
            {
                throw new ArgumentException($"{side}: weight {t} is {w}; token weights must be finite and >= 0.");
            }
            sum += w * (policy[t] - reference[t]);
        }
        return sum;
    }

    private static double Weight(ReadOnlySpan<double> weights, int t) => weights.IsEmpty ? 1.0 : weights[t];
}
