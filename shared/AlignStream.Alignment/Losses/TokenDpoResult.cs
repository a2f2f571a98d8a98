namespace AlignStream.Alignment.Losses;

/// <summary>
/// A DPO-family loss evaluated on per-token log-probs, with ∂L/∂logp_θ for every response token so
/// the trainer can seed its backward pass without knowing which variant produced the numbers.
/// </summary>
/// <param name="Dpo">Sequence-level view: loss, margin h and ∂L/∂h.</param>
/// <param name="Loss">Total loss (DPO plus any extra term such as the chosen NLL).</param>
/// <param name="ChosenTokenGradients">∂L/∂logp_θ(y_w,t), one per chosen response token.</param>
/// <param name="RejectedTokenGradients">∂L/∂logp_θ(y_l,t), one per rejected response token.</param>
public sealed record TokenDpoResult(DpoResult Dpo, double Loss, double[] ChosenTokenGradients, double[] RejectedTokenGradients);
