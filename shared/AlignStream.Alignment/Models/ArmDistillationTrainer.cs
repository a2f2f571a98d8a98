using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>
/// Distils an <see cref="ArmRewardModel"/> from a sequence-level reward model (ALGORITHMS.md §4.3, §4.5 (a)):
/// with teacher forcing, the student's reward for each realised response token, s_t = r(y_&lt;t, y_t),
/// is pulled toward the teacher's score of the whole text under the cumulative-MSE weights, plus the
/// baseline-prior regulariser on one uniformly random token per position. The loss is the mean over
/// texts; gradients reach W, w₀ and (through ∂L/∂h) the backbone. Output embeddings stay frozen.
/// </summary>
public sealed class ArmDistillationTrainer
{
    private readonly ArmRewardModel _arm;
    private readonly ArmDistillationOptions _options;
    private readonly TrainingSession _session;
    private readonly AdamW _backboneOptimizer;
    private readonly AdamW _headOptimizer;
    private readonly float[] _headGrad;
    private readonly Random _random;

    /// <summary>A trainer for batches of up to <paramref name="maxTexts"/> texts and <paramref name="maxTokens"/> tokens in all.</summary>
    public ArmDistillationTrainer(ArmRewardModel arm, ArmDistillationOptions options, int maxTexts, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(arm);
        ArgumentNullException.ThrowIfNull(options);
        _arm = arm;
        _options = options.Validate();
        var cfg = arm.Backbone.Config;
        _session = new TrainingSession(arm.Backbone, maxTexts, maxTokens, Math.Min(maxTokens, cfg.MaxPositionEmbeddings));
        _backboneOptimizer = new AdamW(arm.Backbone.Layout, new AdamWOptions(Beta2: 0.95, Epsilon: 1e-12, WeightDecay: options.WeightDecay));
        var d = cfg.HiddenSize;
        _headGrad = new float[(d * d) + d];
        _headOptimizer = new AdamW(_headGrad.Length, new AdamWOptions(Beta2: 0.95, Epsilon: 1e-12));
        _random = new Random(options.Seed);
    }

    /// <summary>The engine session (backbone gradients after <see cref="ComputeGradients"/>).</summary>
    public TrainingSession Session => _session;

    /// <summary>Labels texts with a teacher's sequence scores (the targets of every prefix).</summary>
    public static async Task<ArmTrainingText[]> LabelAsync(ArmRewardModel arm, IRewardModel teacher, IReadOnlyList<RewardInput> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arm);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(items);
        var scores = await teacher.ScoreValidatedAsync(items, cancellationToken).ConfigureAwait(false);
        var texts = new ArmTrainingText[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var e = arm.Encode(items[i]);
            texts[i] = new ArmTrainingText(e.Tokens, e.ResponseStart, scores[i]);
        }
        return texts;
    }

    /// <summary>Mean cumulative MSE of the batch (no regulariser, no gradients): the distillation error.</summary>
    public double Mse(IReadOnlyList<ArmTrainingText> texts) => Run(texts, backward: false, prior: false);

    /// <summary>Zeroes and fills the gradients of the full loss (cumulative MSE + prior); returns it.</summary>
    public double ComputeGradients(IReadOnlyList<ArmTrainingText> texts) => Run(texts, backward: true, prior: _options.BaselinePrior > 0);

    /// <summary>One optimisation step; returns the loss before it.</summary>
    public double Step(IReadOnlyList<ArmTrainingText> texts)
    {
        var loss = ComputeGradients(texts);
        var head = _arm.Head;
        var d = head.HiddenSize;
        if (_options.TrainBackbone)
        {
            var weights = _arm.Backbone.Weights.Data;
            _backboneOptimizer.Update(weights, _session.Gradients.Data, _options.LearningRate);
            // E is frozen (§4.3): undo any change (weight decay) to the output embeddings the head reads.
            head.Embeddings.CopyTo(weights.AsSpan(_arm.Backbone.Layout.LmHead, head.Embeddings.Length));
        }
        var p = new float[_headGrad.Length];
        head.Projection.CopyTo(p, 0);
        head.Baseline?.CopyTo(p, d * d);
        _headOptimizer.Update(p, _headGrad, _options.HeadLearningRate);
        p.AsSpan(0, d * d).CopyTo(head.Projection);
        if (head.Baseline is not null)
        {
            p.AsSpan(d * d, d).CopyTo(head.Baseline);
        }
        return loss;
    }

    private double Run(IReadOnlyList<ArmTrainingText> texts, bool backward, bool prior)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            throw new ArgumentException("a distillation batch needs at least one text.", nameof(texts));
        }
        var batch = _session.Batch;
        batch.Clear();
        foreach (var t in texts)
        {
            if (t.ResponseStart < 1 || t.ResponseStart > t.Tokens.Length)
            {
                throw new ArgumentException($"ResponseStart {t.ResponseStart} must be within 1..{t.Tokens.Length}: the first token (BOS) has no prefix to score it.");
            }
            if (!double.IsFinite(t.Label))
            {
                throw new ArgumentException($"a distillation label is {t.Label}; teacher scores must be finite.");
            }
            batch.Add(t.Tokens);
        }
        _session.Forward(forBackward: backward);
        var head = _arm.Head;
        var d = head.HiddenSize;
        var vocab = head.VocabularySize;
        float[]? dHidden = null;
        if (backward)
        {
            _session.ZeroGradients();
            Array.Clear(_headGrad);
            dHidden = new float[batch.TokenCount * d];
        }
        var dW = _headGrad.AsSpan(0, d * d);
        var dB = _headGrad.AsSpan(d * d, d);
        Span<float> one = stackalloc float[1];
        var loss = 0.0;
        for (var i = 0; i < texts.Count; i++)
        {
            var t = texts[i];
            var n = t.Tokens.Length - t.ResponseStart;
            if (n == 0)
            {
                continue;
            }
            var preds = new double[n];
            for (var k = 0; k < n; k++)
            {
                var pos = t.ResponseStart + k;
                head.Score(_session.HiddenAt(i, pos - 1), [t.Tokens[pos]], one);
                preds[k] = one[0];
            }
            var grad = new double[n];
            loss += RewardDistillationLosses.CumulativeMseBackward(preds, t.Label, grad) / texts.Count;
            int[]? random = null;
            double[]? priorGrad = null;
            if (prior)
            {
                random = new int[n];
                var parts = new double[n];
                for (var k = 0; k < n; k++)
                {
                    random[k] = _random.Next(vocab);
                    _arm.TokenPart.Score(_session.HiddenAt(i, t.ResponseStart + k - 1), [random[k]], one);
                    parts[k] = one[0];
                }
                priorGrad = new double[n];
                loss += _options.BaselinePrior * RewardDistillationLosses.BaselinePriorBackward(parts, priorGrad) / texts.Count;
            }
            if (!backward)
            {
                continue;
            }
            for (var k = 0; k < n; k++)
            {
                var row = t.ResponseStart + k - 1;
                var h = _session.HiddenAt(i, row);
                var dh = dHidden.AsSpan((batch.Starts[i] + row) * d, d);
                head.Backward(h, t.Tokens[row + 1], grad[k] / texts.Count, dW, dB, dh);
                if (priorGrad is not null)
                {
                    _arm.TokenPart.Backward(h, random![k], _options.BaselinePrior * priorGrad[k] / texts.Count, dW, default, dh);
                }
            }
        }
        if (backward)
        {
            _session.Backward(_session.RowGradientBuffer(), dHidden);
        }
        return loss;
    }
}
