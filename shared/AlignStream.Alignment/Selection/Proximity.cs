namespace AlignStream.Alignment.Selection;

/// <summary>The proximity term P_i that RBoN adds, β-weighted, to the reward (ALGORITHMS.md §1.1).</summary>
public enum Proximity
{
    /// <summary>P_i = 0: plain best-of-N.</summary>
    None,

    /// <summary>P_i = logp_ref(y_i|x) (RBoN-KL).</summary>
    ReferenceLogprob,

    /// <summary>P_i = mean_j cos(e_i, e_j) (RBoN-WD / MBR-BoN).</summary>
    MeanSimilarity,
}
