namespace AlignStream.Alignment.Losses;

/// <summary>
/// The SPO total objective L = L_PO + λ·L_SSL with L_SSL the mean cross-entropy over every
/// (source, degree) variant (ALGORITHMS.md §2.1 steps 4–5).
/// </summary>
public sealed class SpoObjective
{
    private readonly SpoOptions _options;

    public SpoObjective(SpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    public double Lambda => _options.Lambda;

    /// <summary>
    /// Runs the head over every variant's hidden state, accumulates head gradients and writes
    /// ∂(λ·L_SSL)/∂h_i into <paramref name="hiddenGradients"/>[i]. Returns L_SSL (unweighted mean CE).
    /// hiddenStates[i]: [d]; labels[i]: the degree of variant i.
    /// </summary>
    public double AuxiliaryLoss(SpoDegreeHead head, IReadOnlyList<float[]> hiddenStates, IReadOnlyList<int> labels, IReadOnlyList<float[]> hiddenGradients)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(hiddenStates);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(hiddenGradients);
        var n = hiddenStates.Count;
        if (n == 0 || labels.Count != n || hiddenGradients.Count != n)
        {
            throw new ArgumentException($"need one label and one gradient buffer per hidden state (got {n} states, {labels.Count} labels, {hiddenGradients.Count} buffers), and at least one variant.");
        }
        var scale = _options.Lambda / n;
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += head.Backward(hiddenStates[i], labels[i], scale, hiddenGradients[i]);
        }
        return sum / n;
    }

    /// <summary>L_PO + λ·L_SSL.</summary>
    public double Total(double preferenceLoss, double auxiliaryLoss) => preferenceLoss + (_options.Lambda * auxiliaryLoss);
}
