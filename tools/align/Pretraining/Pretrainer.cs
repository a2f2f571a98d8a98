using System.Diagnostics;
using AlignStream.Engine.Blas;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Training;

namespace AlignStream.Cli.Pretraining;

/// <summary>Outcome of <see cref="Pretrainer.Train"/>.</summary>
public sealed record PretrainResult(
    LlamaModel Model,
    int Steps,
    int WarmupSteps,
    long Tokens,
    double FinalTrainLoss,
    double InitialHeldOutLoss,
    double FinalHeldOutLoss,
    IReadOnlyList<HeldOutPoint> HeldOut,
    double TrainSeconds,
    double ArithmeticTokenShare,
    int Epochs,
    int SkippedSteps);

/// <summary>
/// Next-byte pretraining: mean cross-entropy over every scored token of a packed batch, AdamW with
/// linear warmup and cosine decay, global-norm clipping, and a held-out loss on a fixed set of rows.
/// Everything that changes the weights is a function of the options and the seed, never of the clock:
/// a time budget is turned into a step count before the first update.
/// </summary>
public static class Pretrainer
{
    /// <summary>Steps timed before a time budget becomes a step count (they lie inside the warmup).</summary>
    public const int PlanningSteps = 20;

    /// <summary>Consecutive non-finite batches tolerated before the run stops.</summary>
    public const int MaxSkippedInARow = 5;

    /// <summary>Trains a fresh model on <paramref name="train"/> sentences, measuring held-out loss on <paramref name="heldOut"/>.</summary>
    public static PretrainResult Train(PretrainOptions options, IReadOnlyList<string> train, IReadOnlyList<string> heldOut,
        Action<PretrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        options.Validate();
        Gemm.Configure(GemmBackend.Auto, options.Threads);
        var config = options.Config;
        var context = config.MaxPositionEmbeddings;
        var model = LlamaModel.CreateRandom(config, Xoshiro256.DeriveSeed(options.Seed, "weights"), threads: options.Threads);
        var maxTokens = options.BatchRows * context;
        var evalBatches = EvalBatches(heldOut, options, context);
        var session = new TrainingSession(model, Math.Max(options.BatchRows * (context / 2), 1), maxTokens, context);

        // With a time budget the step count is planned after the first PlanningSteps steps, which all lie inside
        // the warmup (whose length never depends on the total): `--steps N` with the planned N reproduces the run.
        var planning = options.Steps is null;
        var steps = options.Steps ?? int.MaxValue;
        var warmup = options.Steps is { } fixedSteps ? Math.Min(options.WarmupSteps, fixedSteps) : Math.Max(options.WarmupSteps, PlanningSteps);
        var schedule = new LearningRateSchedule(options.LearningRate, DecayKind.Constant, warmup);
        if (!planning)
        {
            schedule = Schedule(options, steps, warmup);
        }
        var adam = new AdamW(model.Layout, new AdamWOptions(WeightDecay: options.WeightDecay));
        var stream = new DocumentStream(train, options.ArithmeticShare, options.Seed);
        var packer = new SequencePacker(stream.Next, context);

        var clock = Stopwatch.StartNew();
        var initialHeldOut = Evaluate(session, evalBatches);
        var evalSeconds = clock.Elapsed.TotalSeconds;
        var timedFrom = 0.0;
        var points = new List<HeldOutPoint>();
        var recent = new Queue<double>();
        var lastHeldOut = initialHeldOut;
        long tokens = 0;
        int skipped = 0, skippedInARow = 0;
        for (var step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            packer.FillBatch(session.Batch, options.BatchRows);
            var loss = ForwardBackward(session);
            var norm = GradientClipping.ClipGlobalNorm(session.Gradients.Data, options.ClipNorm);
            if (!double.IsFinite(loss) || !double.IsFinite(norm))
            {
                // A non-finite batch must not reach the weights: skip its update (it is counted and recorded),
                // and stop when it keeps happening, since then the weights themselves have gone bad.
                skipped++;
                if (++skippedInARow > MaxSkippedInARow)
                {
                    var b = session.Batch;
                    throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"step {step + 1}: loss {loss}, gradient norm {norm} for {skippedInARow} steps in a row ({b.Count} sequences, {b.TokenCount} tokens, longest {b.MaxLength}); the weights give non-finite activations: lower --lr or raise --weight-decay"));
                }
            }
            else
            {
                skippedInARow = 0;
            }
            var lr = schedule.At(step);
            if (skippedInARow == 0)
            {
                adam.Update(model.Weights.Data, session.Gradients.Data, lr);
                recent.Enqueue(loss);
            }
            tokens += session.Batch.TokenCount;
            while (recent.Count > 20)
            {
                recent.Dequeue();
            }
            var done = step + 1;
            if (planning && done == 2)
            {
                timedFrom = clock.Elapsed.TotalSeconds; // the first two steps pay for JIT compilation
            }
            if (planning && done == PlanningSteps)
            {
                var perStep = (clock.Elapsed.TotalSeconds - timedFrom) / (PlanningSteps - 2);
                perStep += options.EvalEvery > 0 ? evalSeconds / options.EvalEvery : 0;
                var left = (options.Minutes!.Value * 60) - clock.Elapsed.TotalSeconds - evalSeconds;
                steps = Math.Max(warmup, done + (int)Math.Max(0, left / perStep));
                schedule = Schedule(options, steps, warmup);
                planning = false;
            }
            var evaluate = done == steps || (options.EvalEvery > 0 && done % options.EvalEvery == 0);
            if (evaluate)
            {
                lastHeldOut = Evaluate(session, evalBatches);
                points.Add(new HeldOutPoint(done, tokens, recent.Count > 0 ? recent.Average() : loss, lastHeldOut, clock.Elapsed.TotalSeconds));
            }
            progress?.Invoke(new PretrainProgress(done, planning ? 0 : steps, tokens, loss, recent.Count > 0 ? recent.Average() : loss, points.Count > 0 ? lastHeldOut : null, evaluate, lr, clock.Elapsed.TotalSeconds));
        }
        var trainLoss = recent.Count > 0 ? recent.Average() : double.NaN;
        return new PretrainResult(model, steps, warmup, tokens, trainLoss, initialHeldOut, lastHeldOut, points, clock.Elapsed.TotalSeconds,
            stream.TotalTokens > 0 ? (double)stream.ArithmeticTokens / stream.TotalTokens : 0, Math.Max(stream.Epoch, 0), skipped);
    }

    /// <summary>Mean next-token loss (nats per token) of <paramref name="model"/> over the given documents, packed into rows of the context.</summary>
    public static double MeanLoss(LlamaModel model, IReadOnlyList<int[]> documents, int rowsPerBatch = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(documents);
        var context = model.Config.MaxPositionEmbeddings;
        var session = new TrainingSession(model, rowsPerBatch * (context / 2), rowsPerBatch * context, context);
        var i = 0;
        var packer = new SequencePacker(() => documents[i++ % documents.Count], context);
        var batches = new List<List<int[]>>();
        var total = documents.Sum(d => d.Length);
        var taken = 0;
        while (taken < total)
        {
            var rows = new List<int[]>();
            for (var r = 0; r < rowsPerBatch && taken < total; r++)
            {
                foreach (var doc in packer.NextRow())
                {
                    rows.Add(doc);
                    taken += doc.Length;
                }
            }
            batches.Add(rows);
        }
        return Evaluate(session, batches);
    }

    private static LearningRateSchedule Schedule(PretrainOptions options, int steps, int warmup)
    {
        var schedule = steps > warmup
            ? new LearningRateSchedule(options.LearningRate, DecayKind.Cosine, warmup, steps, options.MinLearningRateRatio)
            : new LearningRateSchedule(options.LearningRate, DecayKind.Constant, warmup);
        schedule.Validate();
        return schedule;
    }

    // Mean over scored rows of −log p; the row-space gradient of that mean is −1/count on each scored row.
    private static double ForwardBackward(TrainingSession session)
    {
        session.ZeroGradients();
        session.Forward(forBackward: true);
        var b = session.Batch;
        var scored = b.TokenCount - b.Count;
        var lp = session.RowLogProbs;
        double sum = 0;
        var d = session.RowGradientBuffer();
        var g = -1f / scored;
        for (var n = 0; n < b.TokenCount; n++)
        {
            if (b.Targets[n] >= 0)
            {
                sum -= lp[n];
                d[n] = g;
            }
        }
        session.Backward(d);
        return sum / scored;
    }

    private static double Evaluate(TrainingSession session, IReadOnlyList<List<int[]>> batches)
    {
        double sum = 0;
        long count = 0;
        foreach (var rows in batches)
        {
            var b = session.Batch;
            b.Clear();
            foreach (var doc in rows)
            {
                b.Add(doc);
            }
            session.Forward(forBackward: false);
            var lp = session.RowLogProbs;
            for (var n = 0; n < b.TokenCount; n++)
            {
                if (b.Targets[n] >= 0)
                {
                    sum -= lp[n];
                    count++;
                }
            }
        }
        return count > 0 ? sum / count : double.NaN;
    }

    // Fixed held-out rows: the first EvalRows rows of a held-out stream with its own seed, text only.
    private static List<List<int[]>> EvalBatches(IReadOnlyList<string> heldOut, PretrainOptions options, int context)
    {
        var source = heldOut.Count > 0 ? heldOut : ["(no held-out text)"];
        var stream = new DocumentStream(source, 0, Xoshiro256.DeriveSeed(options.Seed, "held-out"));
        var packer = new SequencePacker(stream.Next, context);
        var batches = new List<List<int[]>>();
        for (var r = 0; r < options.EvalRows; r++)
        {
            if (r % options.BatchRows == 0)
            {
                batches.Add([]);
            }
            batches[^1].AddRange(packer.NextRow());
        }
        return batches;
    }
}
