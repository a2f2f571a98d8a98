using AlignStream.Alignment.Losses;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>
/// Bradley–Terry training of a <see cref="LearnedRewardModel"/>: L = mean over pairs of
/// softplus(−(r_w − r_l − m)). The loss gradient reaches the head directly and the backbone through
/// ∂L/∂h at each sequence's last row (<see cref="TrainingSession.Backward"/> with dFinalHidden; no
/// log-prob term). Backbone updates use the engine's AdamW, the head its own Adam state.
/// </summary>
public sealed class BradleyTerryTrainer
{
    private readonly LearnedRewardModel _model;
    private readonly BradleyTerryOptions _options;
    private readonly TrainingSession _session;
    private readonly AdamW _backboneOptimizer;
    private readonly AdamW _headOptimizer;
    private readonly float[] _headGrad;

    /// <summary>A trainer for batches of up to <paramref name="maxPairs"/> pairs and <paramref name="maxTokens"/> tokens in all.</summary>
    public BradleyTerryTrainer(LearnedRewardModel model, BradleyTerryOptions options, int maxPairs, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options.Validate();
        var cfg = model.Backbone.Config;
        _session = new TrainingSession(model.Backbone, 2 * maxPairs, maxTokens, Math.Min(maxTokens, cfg.MaxPositionEmbeddings));
        _backboneOptimizer = new AdamW(model.Backbone.Layout, new AdamWOptions(WeightDecay: options.WeightDecay));
        _headOptimizer = new AdamW(cfg.HiddenSize + 1, new AdamWOptions());
        _headGrad = new float[cfg.HiddenSize + 1];
    }

    /// <summary>The engine session (its <see cref="TrainingSession.Gradients"/> hold the backbone gradient after <see cref="ComputeGradients"/>).</summary>
    public TrainingSession Session => _session;

    /// <summary>∂L/∂w [d] followed by ∂L/∂b, after <see cref="ComputeGradients"/>.</summary>
    public ReadOnlySpan<float> HeadGradient => _headGrad;

    /// <summary>Mean loss of a batch without touching gradients.</summary>
    public double Loss(IReadOnlyList<PreferenceText> pairs) => Run(pairs, backward: false);

    /// <summary>Zeroes and fills the backbone and head gradients of the mean loss; returns the loss.</summary>
    public double ComputeGradients(IReadOnlyList<PreferenceText> pairs) => Run(pairs, backward: true);

    /// <summary>One optimisation step on a batch; returns the loss before the step.</summary>
    public double Step(IReadOnlyList<PreferenceText> pairs)
    {
        var loss = ComputeGradients(pairs);
        _backboneOptimizer.Update(_model.Backbone.Weights.Data, _session.Gradients.Data, _options.LearningRate);
        var head = new float[_headGrad.Length];
        _model.ScoreWeight.CopyTo(head, 0);
        head[^1] = _model.ScoreBias[0];
        _headOptimizer.Update(head, _headGrad, _options.HeadLearningRate);
        head.AsSpan(0, _model.ScoreWeight.Length).CopyTo(_model.ScoreWeight);
        _model.ScoreBias[0] = head[^1];
        return loss;
    }

    /// <summary>Fraction of pairs where the chosen response scores strictly higher.</summary>
    public static double Accuracy(LearnedRewardModel model, IReadOnlyList<PreferenceText> pairs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("accuracy needs at least one pair.", nameof(pairs));
        }
        // Scored a chunk at a time: one forward over thousands of sequences would size its buffers for all of them.
        const int Chunk = 32;
        var right = 0;
        for (var start = 0; start < pairs.Count; start += Chunk)
        {
            var chunk = pairs.Skip(start).Take(Chunk).ToArray();
            var s = model.Score(chunk.SelectMany(p => new[] { new RewardInput(p.Prompt, p.Chosen), new RewardInput(p.Prompt, p.Rejected) }).ToArray());
            for (var i = 0; i < chunk.Length; i++)
            {
                right += s[2 * i] > s[(2 * i) + 1] ? 1 : 0;
            }
        }
        return (double)right / pairs.Count;
    }

    private double Run(IReadOnlyList<PreferenceText> pairs, bool backward)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("a Bradley–Terry batch needs at least one pair.", nameof(pairs));
        }
        var batch = _session.Batch;
        batch.Clear();
        var rows = new int[2 * pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var w = _model.Encode(new RewardInput(p.Prompt, p.Chosen));
            var l = _model.Encode(new RewardInput(p.Prompt, p.Rejected));
            batch.Add(w.Tokens);
            batch.Add(l.Tokens);
            rows[2 * i] = w.LastRow;
            rows[(2 * i) + 1] = l.LastRow;
        }
        _session.Forward(forBackward: backward);
        var d = _model.Backbone.Config.HiddenSize;
        var dHidden = backward ? new float[batch.TokenCount * d] : [];
        if (backward)
        {
            _session.ZeroGradients();
            Array.Clear(_headGrad);
        }
        var loss = 0.0;
        var scale = 1.0 / pairs.Count;
        for (var i = 0; i < pairs.Count; i++)
        {
            var hw = _session.HiddenAt(2 * i, rows[2 * i]);
            var hl = _session.HiddenAt((2 * i) + 1, rows[(2 * i) + 1]);
            var u = _model.Head(hw) - _model.Head(hl) - _options.Margin;
            loss += Numerics.Softplus(-u) * scale;
            if (!backward)
            {
                continue;
            }
            // ∂softplus(−u)/∂u = −σ(−u); r_w enters with +1 and r_l with −1.
            var g = -Numerics.Sigmoid(-u) * scale;
            Accumulate(hw, g, dHidden.AsSpan((batch.Starts[2 * i] + rows[2 * i]) * d, d));
            Accumulate(hl, -g, dHidden.AsSpan((batch.Starts[(2 * i) + 1] + rows[(2 * i) + 1]) * d, d));
        }
        if (backward)
        {
            _session.Backward(_session.RowGradientBuffer(), dHidden);
        }
        return loss;
    }

    private void Accumulate(ReadOnlySpan<float> hidden, double dScore, Span<float> dHidden)
    {
        var w = _model.ScoreWeight;
        for (var j = 0; j < w.Length; j++)
        {
            _headGrad[j] += (float)(dScore * hidden[j]);
            dHidden[j] += (float)(dScore * w[j]);
        }
        _headGrad[^1] += (float)dScore;
    }
}
