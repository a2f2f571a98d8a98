using AlignStream.Alignment.Losses;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;
using AlignStream.Trainer.Options;

namespace AlignStream.Trainer.Training;

/// <summary>
/// The trainer's model state and its optimizer step: policy weights, AdamW moments, the reference weights, the
/// SPO degree head and the RNG, plus one forward/backward over a micro-batch of pairs with
/// loss = Σ_i a_i·(DPO_i + w_nll·NLL_i)/n + λ·L_SSL (a_i the importance weight). One instance per trainer;
/// not thread-safe.
/// </summary>
public sealed class PolicyTrainer
{
    private readonly TrainerOptions _options;
    private readonly ITokenizer _tokenizer;
    private readonly TrainingSession _session;
    private readonly SpoCorruptor? _corruptor;
    private TrainingSession? _referenceSession;
    private float[]? _dHidden;
    private Xoshiro256 _rng;

    /// <summary>Wraps <paramref name="policy"/> (trained in place) and starts the reference as a copy of it.</summary>
    public PolicyTrainer(LlamaModel policy, ITokenizer tokenizer, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _tokenizer = tokenizer;
        Policy = policy;
        MaxSequenceLength = options.MaxSequenceLength == 0
            ? policy.Config.MaxPositionEmbeddings
            : Math.Min(options.MaxSequenceLength, policy.Config.MaxPositionEmbeddings);
        var spoVariants = options.SpoLambda > 0 ? 2 * (options.SpoSubsampleOneDegree ? 1 : options.SpoClasses - 1) : 0;
        var maxSequences = options.BatchSize * (2 + spoVariants);
        _session = new TrainingSession(policy, maxSequences, maxSequences * MaxSequenceLength, MaxSequenceLength);
        var referenceWeights = new ParameterSet(policy.Layout, "reference");
        referenceWeights.CopyFrom(policy.Weights);
        Reference = new LlamaModel(policy.Config, referenceWeights, policy.Threads);
        Optimizer = new AdamW(policy.Layout.TotalSize, options.Adam);
        _rng = new Xoshiro256(options.Seed);
        if (options.SpoLambda > 0)
        {
            var spo = new SpoOptions { Classes = options.SpoClasses, Lambda = options.SpoLambda, SubsampleOneDegree = options.SpoSubsampleOneDegree };
            _corruptor = new SpoCorruptor(spo, tokenizer.Encode);
            Head = new SpoDegreeHead(options.SpoClasses, policy.Config.HiddenSize, (int)(Xoshiro256.DeriveSeed(options.Seed, "spo-head") & int.MaxValue));
            HeadWeightOptimizer = new AdamW(Head.Weight.Length, options.Adam);
            HeadBiasOptimizer = new AdamW(Head.Bias.Length, options.Adam);
        }
    }

    /// <summary>The policy being trained.</summary>
    public LlamaModel Policy { get; }

    /// <summary>The reference model (trainer-side copy used for weighted reference sums and refresh).</summary>
    public LlamaModel Reference { get; }

    /// <summary>AdamW state of the policy.</summary>
    public AdamW Optimizer { get; }

    /// <summary>The SPO degree head, when SPO is on.</summary>
    public SpoDegreeHead? Head { get; }

    /// <summary>AdamW state of the head's weight matrix, when SPO is on.</summary>
    public AdamW? HeadWeightOptimizer { get; }

    /// <summary>AdamW state of the head's bias, when SPO is on.</summary>
    public AdamW? HeadBiasOptimizer { get; }

    /// <summary>Optimizer steps taken (restored from checkpoints).</summary>
    public long Step { get; set; }

    /// <summary>Longest prompt+response accepted.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>The RNG state, checkpointed so a resumed run draws the same numbers.</summary>
    public RngState RngState
    {
        get => _rng.State;
        set => _rng = Xoshiro256.FromState(value);
    }

    /// <summary>Makes the reference a copy of the current policy (per-window refresh).</summary>
    public void CopyPolicyToReference() => Policy.Weights.Data.CopyTo(Reference.Weights.Data, 0);

    /// <summary>TR-DPO soft sync: ref ← α·θ + (1−α)·ref, parameter-wise.</summary>
    public void SoftSyncReference(double alpha)
    {
        var r = Reference.Weights.Data;
        var p = Policy.Weights.Data;
        var a = (float)alpha;
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = (a * p[i]) + ((1 - a) * r[i]);
        }
    }

    /// <summary>One optimizer step over <paramref name="pairs"/> (at most Trainer:BatchSize).</summary>
    public StepResult TrainStep(IReadOnlyList<TrainingPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0 || pairs.Count > _options.BatchSize)
        {
            throw new ArgumentException($"a step takes 1..{_options.BatchSize} pairs (Trainer:BatchSize); got {pairs.Count}", nameof(pairs));
        }
        var n = pairs.Count;
        var refChosen = new double[n];
        var refRejected = new double[n];
        for (var i = 0; i < n; i++)
        {
            refChosen[i] = pairs[i].ReferenceChosen;
            refRejected[i] = pairs[i].ReferenceRejected;
        }
        if (pairs.Any(p => p.HasTokenWeights))
        {
            WeightedReferenceSums(pairs, refChosen, refRejected);
        }

        // Sequences 2i / 2i+1 are prompt+chosen / prompt+rejected; SPO variants follow.
        var batch = _session.Batch;
        batch.Clear();
        foreach (var p in pairs)
        {
            batch.Add(p.Prompt, p.Chosen);
            batch.Add(p.Prompt, p.Rejected);
        }
        var variants = _corruptor is null ? [] : AddSpoVariants(pairs);
        _session.ZeroGradients();
        _session.Forward(forBackward: true);

        var beta = _options.Beta;
        var d = _session.RowGradientBuffer();
        var margins = new double[n];
        var pairLosses = new double[n];
        double dpoSum = 0, nllSum = 0, klSum = 0;
        var correct = 0;
        for (var i = 0; i < n; i++)
        {
            var p = pairs[i];
            var ps = p.Prompt.Length;
            var pc = _session.ResponseLogProbSum(2 * i, ps, p.ChosenWeights);
            var pr = _session.ResponseLogProbSum((2 * i) + 1, ps, p.RejectedWeights);
            var pcPlain = p.ChosenWeights is null ? pc : _session.ResponseLogProbSum(2 * i, ps);
            var (dpo, dh) = Engine.Training.DpoLoss.Compute(pc, refChosen[i], pr, refRejected[i], beta, _options.LabelSmoothing);
            var nll = -pcPlain / p.Chosen.Length;
            margins[i] = beta * ((pc - refChosen[i]) - (pr - refRejected[i]));
            correct += margins[i] > 0 ? 1 : 0;
            pairLosses[i] = dpo + (_options.NllWeight * nll);
            dpoSum += p.Weight * dpo;
            nllSum += p.Weight * nll;
            klSum += pcPlain - p.ReferenceChosen;
            var scale = p.Weight / n;
            // Response token j of a sequence is scored by row start + ps + j − 1.
            var cs = batch.Starts[2 * i] + ps - 1;
            for (var j = 0; j < p.Chosen.Length; j++)
            {
                var w = p.ChosenWeights is null ? 1f : p.ChosenWeights[j];
                d[cs + j] = (float)(scale * ((dh * w) - (_options.NllWeight / p.Chosen.Length)));
            }
            var rs = batch.Starts[(2 * i) + 1] + ps - 1;
            for (var j = 0; j < p.Rejected.Length; j++)
            {
                var w = p.RejectedWeights is null ? 1f : p.RejectedWeights[j];
                d[rs + j] = (float)(-scale * dh * w);
            }
        }

        double spoLoss = 0;
        Memory<float> dHidden = default;
        if (Head is not null && variants.Count > 0)
        {
            (spoLoss, dHidden) = SpoBackward(variants);
        }
        _session.Backward(d, dHidden.Span);

        var grads = _session.Gradients.Data;
        var norm = _options.ClipNorm > 0 ? GradientClipping.ClipGlobalNorm(grads, _options.ClipNorm) : Norm(grads);
        var lr = _options.Schedule.At(Step);
        Optimizer.Update(Policy.Weights.Data, grads, lr);
        if (Head is not null && HeadWeightOptimizer is not null && HeadBiasOptimizer is not null && variants.Count > 0)
        {
            var headLr = lr * _options.SpoHeadLrMultiplier;
            HeadWeightOptimizer.Update(Head.Weight, Head.WeightGrad, headLr);
            HeadBiasOptimizer.Update(Head.Bias, Head.BiasGrad, headLr);
        }
        Step++;
        var dpoMean = dpoSum / n;
        var nllMean = nllSum / n;
        var total = dpoMean + (_options.NllWeight * nllMean) + (_options.SpoLambda * spoLoss);
        return new StepResult(Step, total, dpoMean, nllMean, spoLoss, (double)correct / n, margins, pairLosses, klSum / n, norm, lr);
    }

    // Weighted pairs need Σ w_t·log π_ref(y_t) per token, which a sum from the scorer cannot give: run the
    // trainer's reference over the weighted pairs (forward only).
    private void WeightedReferenceSums(IReadOnlyList<TrainingPair> pairs, double[] refChosen, double[] refRejected)
    {
        _referenceSession ??= new TrainingSession(Reference, 2 * _options.BatchSize, 2 * _options.BatchSize * MaxSequenceLength, MaxSequenceLength);
        var b = _referenceSession.Batch;
        b.Clear();
        var index = new List<int>();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].HasTokenWeights)
            {
                b.Add(pairs[i].Prompt, pairs[i].Chosen);
                b.Add(pairs[i].Prompt, pairs[i].Rejected);
                index.Add(i);
            }
        }
        _referenceSession.Forward(forBackward: false);
        for (var k = 0; k < index.Count; k++)
        {
            var p = pairs[index[k]];
            refChosen[index[k]] = _referenceSession.ResponseLogProbSum(2 * k, p.Prompt.Length, p.ChosenWeights);
            refRejected[index[k]] = _referenceSession.ResponseLogProbSum((2 * k) + 1, p.Prompt.Length, p.RejectedWeights);
        }
    }

    private List<SpoSample> AddSpoVariants(IReadOnlyList<TrainingPair> pairs)
    {
        var samples = new List<SpoSample>();
        var batch = _session.Batch;
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            for (var side = 0; side < 2; side++)
            {
                var tokens = side == 0 ? p.Chosen : p.Rejected;
                var text = _tokenizer.Decode(tokens, skipSpecialTokens: true);
                var random = new Random((int)(_rng.NextUInt64() & int.MaxValue));
                foreach (var v in _corruptor!.Corrupt(p.PromptText, text, random))
                {
                    if (v.Degree == 0)
                    {
                        // The original's hidden state comes from the DPO sequence itself.
                        samples.Add(new SpoSample((2 * i) + side, p.Prompt.Length + tokens.Length - 1, 0));
                        continue;
                    }
                    var room = MaxSequenceLength - p.Prompt.Length;
                    var ids = v.TokenIds.Length <= room ? v.TokenIds : v.TokenIds[..room];
                    var seq = batch.Add(p.Prompt, ids);
                    samples.Add(new SpoSample(seq, p.Prompt.Length + ids.Length - 1, v.Degree));
                }
            }
        }
        return samples;
    }

    private (double Loss, Memory<float> DHidden) SpoBackward(List<SpoSample> samples)
    {
        var head = Head!;
        head.ZeroGrad();
        var c = Policy.Config.HiddenSize;
        _dHidden ??= new float[_session.Batch.MaxTokens * c];
        var dHidden = _dHidden.AsMemory(0, _session.Batch.TokenCount * c);
        dHidden.Span.Clear();
        var scale = _options.SpoLambda / samples.Count;
        double sum = 0;
        foreach (var s in samples)
        {
            var row = _session.Batch.Starts[s.Sequence] + s.LastRow;
            sum += head.Backward(_session.HiddenAt(s.Sequence, s.LastRow), s.Degree, scale, dHidden.Span.Slice(row * c, c));
        }
        return (sum / samples.Count, dHidden);
    }

    private static double Norm(ReadOnlySpan<float> g)
    {
        double ss = 0;
        foreach (var v in g)
        {
            ss += (double)v * v;
        }
        return Math.Sqrt(ss);
    }

    private readonly record struct SpoSample(int Sequence, int LastRow, int Degree);
}
