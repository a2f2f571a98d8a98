namespace AlignStream.Alignment.Losses;

/// <summary>
/// Value and gradient of a DPO loss for one pair.
/// <see cref="DLossDMargin"/> is ∂L/∂h; since h = Δ(y_w) − Δ(y_l), ∂L/∂logp_θ(y_w) = ∂L/∂h and
/// ∂L/∂logp_θ(y_l) = −∂L/∂h (the reference terms carry no gradient).
/// </summary>
/// <param name="Loss">L for this pair.</param>
/// <param name="Margin">h = Δ(y_w) − Δ(y_l), the (possibly masked or weighted) log-ratio margin.</param>
/// <param name="DLossDMargin">∂L/∂h.</param>
/// <param name="ChosenReward">Implicit reward β·Δ(y_w), for logging.</param>
/// <param name="RejectedReward">Implicit reward β·Δ(y_l), for logging.</param>
public readonly record struct DpoResult(double Loss, double Margin, double DLossDMargin, double ChosenReward, double RejectedReward)
{
    /// <summary>∂L/∂logp_θ(y_w) (sequence level).</summary>
    public double DLossDChosenLogp => DLossDMargin;

    /// <summary>∂L/∂logp_θ(y_l) (sequence level).</summary>
    public double DLossDRejectedLogp => -DLossDMargin;

    /// <summary>1 when the implicit reward ranks the pair correctly, else 0 (the "reward accuracy" metric).</summary>
    public double RewardAccuracy => ChosenReward > RejectedReward ? 1.0 : 0.0;
}
