using AlignStream.Alignment.Losses;
using AlignStream.Engine.Training;
using DpoOptions = AlignStream.Alignment.Losses.DpoOptions;
using DpoResult = AlignStream.Alignment.Losses.DpoResult;

namespace AlignStream.Alignment.Models;

/// <summary>
/// DPO (optionally masked or token-weighted, §5B) plus SPO's preference-degree loss (§2) through the
/// engine: one packed forward over chosen, rejected and the corrupted variants, then one Backward with
/// ∂L/∂(row log-prob) from the DPO term and ∂L/∂(final hidden) from the degree head. The loss is
/// L = mean over pairs of L_DPO + λ·mean over all variants of CE(head(h_last), label). Corrupted variants
/// enter only the SPO term (§2.5). Head gradients accumulate in the head (zeroed here on backward).
/// </summary>
public sealed class EnginePreferenceObjective
{
    private readonly TokenWeightedDpoLoss _dpo;
    private readonly SpoOptions? _spo;
    private readonly SpoDegreeHead? _head;

    /// <summary>DPO only when <paramref name="spo"/> and <paramref name="head"/> are null; both or neither.</summary>
    public EnginePreferenceObjective(DpoOptions dpo, SpoOptions? spo = null, SpoDegreeHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(dpo);
        if ((spo is null) != (head is null))
        {
            throw new ArgumentException("pass both the SPO options and the degree head, or neither (plain DPO).");
        }
        if (spo is not null && head!.Classes != spo.Validate().HeadClasses)
        {
            throw new ArgumentException($"the degree head has {head.Classes} classes but Spo options need {spo.HeadClasses}.");
        }
        _dpo = new TokenWeightedDpoLoss(dpo.Validate());
        _spo = spo;
        _head = head;
    }

    /// <summary>
    /// Runs the step on <paramref name="session"/>: fills its batch, forwards, and with
    /// <paramref name="backward"/> zeroes and fills the session's gradients (and the head's).
    /// </summary>
    public EnginePreferenceResult Evaluate(TrainingSession session, IReadOnlyList<EnginePreferencePair> pairs, bool backward)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("a preference step needs at least one pair.", nameof(pairs));
        }
        var batch = session.Batch;
        batch.Clear();
        // (sequence, last row, label) of every variant fed to the degree head.
        var heads = new List<(int Seq, int Row, int Label)>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            Check(p, i);
            var cw = batch.Add(p.Prompt, p.Chosen);
            var cl = batch.Add(p.Prompt, p.Rejected);
            if (_spo is null)
            {
                continue;
            }
            foreach (var v in p.Variants)
            {
                var label = _spo.Label(v.FromChosen, v.Degree);
                if (v.Response is null)
                {
                    var seq = v.FromChosen ? cw : cl;
                    heads.Add((seq, p.Prompt.Length + (v.FromChosen ? p.Chosen : p.Rejected).Length - 1, label));
                }
                else
                {
                    var seq = batch.Add(p.Prompt, v.Response);
                    heads.Add((seq, p.Prompt.Length + v.Response.Length - 1, label));
                }
            }
        }
        session.Forward(forBackward: backward);
        if (backward)
        {
            session.ZeroGradients();
            _head?.ZeroGrad();
        }
        var dRow = backward ? session.RowGradientBuffer() : default;
        var results = new DpoResult[pairs.Count];
        var rows = session.RowLogProbs;
        var preference = 0.0;
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var sw = batch.Starts[2 * i] + p.Prompt.Length - 1;
            var sl = batch.Starts[(2 * i) + 1] + p.Prompt.Length - 1;
            var policyW = Rows(rows, sw, p.Chosen.Length);
            var policyL = Rows(rows, sl, p.Rejected.Length);
            var r = _dpo.Compute(policyW, p.ReferenceChosen, p.ChosenWeights, policyL, p.ReferenceRejected, p.RejectedWeights);
            results[i] = r.Dpo;
            preference += r.Loss / pairs.Count;
            if (backward)
            {
                // Row n scores the token at n+1, so response token t sits on row start + prompt + t − 1.
                for (var t = 0; t < p.Chosen.Length; t++)
                {
                    dRow[sw + t] += (float)(r.ChosenTokenGradients[t] / pairs.Count);
                }
                for (var t = 0; t < p.Rejected.Length; t++)
                {
                    dRow[sl + t] += (float)(r.RejectedTokenGradients[t] / pairs.Count);
                }
            }
        }
        var auxiliary = 0.0;
        float[]? dHidden = null;
        if (_spo is not null && heads.Count > 0)
        {
            var head = _head!;
            var c = session.Model.Config.HiddenSize;
            Span<double> logits = stackalloc double[head.Classes];
            if (backward)
            {
                dHidden = new float[batch.TokenCount * c];
                var scale = _spo.Lambda / heads.Count;
                foreach (var (seq, row, label) in heads)
                {
                    auxiliary += head.Backward(session.HiddenAt(seq, row), label, scale, dHidden.AsSpan((batch.Starts[seq] + row) * c, c)) / heads.Count;
                }
            }
            else
            {
                foreach (var (seq, row, label) in heads)
                {
                    head.Forward(session.HiddenAt(seq, row), logits);
                    auxiliary += SpoDegreeHead.CrossEntropy(logits, label) / heads.Count;
                }
            }
        }
        if (backward)
        {
            session.Backward(dRow, dHidden);
        }
        var total = preference + ((_spo?.Lambda ?? 0) * auxiliary);
        return new EnginePreferenceResult(total, preference, auxiliary, results);
    }

    private static double[] Rows(ReadOnlySpan<float> rows, int first, int count)
    {
        var r = new double[count];
        for (var t = 0; t < count; t++)
        {
            r[t] = rows[first + t];
        }
        return r;
    }

    private static void Check(EnginePreferencePair p, int index)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Prompt.Length == 0)
        {
            throw new ArgumentException($"pair {index}: the prompt is empty; start it with BOS so the first response token is scored.");
        }
        if (p.Chosen.Length == 0 || p.Rejected.Length == 0)
        {
            throw new ArgumentException($"pair {index}: chosen and rejected responses need at least one token each.");
        }
        if (p.ReferenceChosen.Length != p.Chosen.Length || p.ReferenceRejected.Length != p.Rejected.Length)
        {
            throw new ArgumentException($"pair {index}: reference log-probs must have one value per response token (chosen {p.ReferenceChosen.Length}/{p.Chosen.Length}, rejected {p.ReferenceRejected.Length}/{p.Rejected.Length}).");
        }
        foreach (var v in p.Variants)
        {
            if (v.Response is { Length: 0 })
            {
                throw new ArgumentException($"pair {index}: an SPO variant of degree {v.Degree} has no tokens; drop it (the corruptor returns only constructible degrees).");
            }
        }
    }
}
