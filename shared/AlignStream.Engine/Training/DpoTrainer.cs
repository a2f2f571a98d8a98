namespace AlignStream.Engine.Training;

/// <summary>
/// One call runs the policy forward and backward for a batch of DPO pairs against supplied reference
/// sums: the mean loss over pairs is differentiated into <see cref="TrainingSession.Gradients"/>.
/// Sequence 2i is prompt+chosen and 2i+1 prompt+rejected.
/// </summary>
public static class DpoTrainer
{
    /// <summary>Computes the loss and accumulates its gradient (call ZeroGradients first for a fresh step).</summary>
    public static DpoResult ForwardBackward(TrainingSession session, IReadOnlyList<PreferencePairTokens> pairs, DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (pairs.Count == 0)
        {
            throw new ArgumentException("DPO needs at least one pair", nameof(pairs));
        }
        var batch = session.Batch;
        batch.Clear();
        foreach (var pair in pairs)
        {
            if (pair.Prompt.Length == 0)
            {
                throw new ArgumentException("every pair needs at least one prompt token (the first token is never scored); prepend BOS", nameof(pairs));
            }
            CheckWeights(pair.ChosenWeights, pair.Chosen.Length, "ChosenWeights");
            CheckWeights(pair.RejectedWeights, pair.Rejected.Length, "RejectedWeights");
            batch.Add(pair.Prompt, pair.Chosen);
            batch.Add(pair.Prompt, pair.Rejected);
        }
        session.Forward(forBackward: true);
        var n = pairs.Count;
        var pc = new double[n];
        var pr = new double[n];
        var margins = new double[n];
        double loss = 0;
        var correct = 0;
        var d = session.RowGradientBuffer();
        for (var i = 0; i < n; i++)
        {
            var pair = pairs[i];
            var ps = pair.Prompt.Length;
            pc[i] = session.ResponseLogProbSum(2 * i, ps, pair.ChosenWeights);
            pr[i] = session.ResponseLogProbSum((2 * i) + 1, ps, pair.RejectedWeights);
            var (l, dh) = DpoLoss.Compute(pc[i], pair.ReferenceChosen, pr[i], pair.ReferenceRejected, options.Beta, options.LabelSmoothing);
            loss += l / n;
            margins[i] = options.Beta * ((pc[i] - pair.ReferenceChosen) - (pr[i] - pair.ReferenceRejected));
            correct += margins[i] > 0 ? 1 : 0;
            Scatter(d, batch.Starts[2 * i], ps, pair.Chosen.Length, pair.ChosenWeights, (float)(dh / n));
            Scatter(d, batch.Starts[(2 * i) + 1], ps, pair.Rejected.Length, pair.RejectedWeights, (float)(-dh / n));
        }
        session.Backward(d);
        return new DpoResult(loss, pc, pr, margins, (double)correct / n);
    }

    // Token t of the sequence is scored by row t−1, so response token j sits at row start + ps + j − 1.
    private static void Scatter(Span<float> d, int start, int promptLength, int responseLength, float[]? weights, float g)
    {
        for (var j = 0; j < responseLength; j++)
        {
            d[start + promptLength + j - 1] = weights is null ? g : g * weights[j];
        }
    }

    private static void CheckWeights(float[]? w, int length, string field)
    {
        if (w is not null && w.Length != length)
        {
            throw new ArgumentException($"PreferencePairTokens.{field} has {w.Length} values for a response of {length} tokens");
        }
    }
}
