using System.Diagnostics;
using System.Globalization;
using AlignStream.Alignment.Rewards;
using AlignStream.Alignment.Segments;
using AlignStream.Alignment.Selection;
using AlignStream.Contracts.Events;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Metrics;
using AlignStream.Scorer.Options;
using AlignStream.Scorer.Reference;
using Microsoft.Extensions.Options;
using ProtoSegment = AlignStream.Contracts.Records.Segment;
using Segment = AlignStream.Alignment.Segments.Segment;

namespace AlignStream.Scorer.Scoring;

/// <summary>
/// The scorer stage for a batch of <see cref="CandidateSet"/>s: reference log-probs (and entropies, embeddings) of
/// every candidate in packed forward passes, every configured reward model, one LASeR arm per task group of the
/// batch, optional entropy segments with segment rewards, pair selection on the arm's scores; then
/// <c>align.scored</c> and <c>align.pairs</c> are published and acknowledged before the loop stores offsets.
/// Anything wrong with one record (malformed, too long, a non-finite score) throws
/// <see cref="PermanentRecordException"/> before anything is published, so the loop re-runs the batch record by
/// record and dead-letters only the bad one.
/// </summary>
public sealed class CandidateSetScorer
{
    /// <summary>Schema version of the records this stage writes.</summary>
    public const uint SchemaVersion = 1;

    private readonly ReferenceScorer _reference;
    private readonly ReferenceModel _referenceModel;
    private readonly ReferenceWatcher _watcher;
    private readonly IReadOnlyList<IRewardModel> _rewardModels;
    private readonly LaserRouter _router;
    private readonly BanditFeedbackApplier _feedback;
    private readonly IPairSelector _selector;
    private readonly IKafkaProducer _producer;
    private readonly TopicNames _topics;
    private readonly IStateStore _state;
    private readonly ScorerOptions _options;
    private readonly ScorerInstruments _instruments;
    private readonly LocationNormalizer _normalizer;

    /// <summary>Creates the scorer (a singleton used by the scorer's consume loop).</summary>
    public CandidateSetScorer(ReferenceModel referenceModel, ReferenceWatcher watcher, RewardModelRegistry registry, LaserRouter router,
        BanditFeedbackApplier feedback, IKafkaProducer producer, KafkaConnection connection, IStateStore state, IOptions<ScorerOptions> options, ScorerInstruments instruments)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(connection);
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
        _referenceModel = referenceModel ?? throw new ArgumentNullException(nameof(referenceModel));
        ArgumentNullException.ThrowIfNull(instruments);
        _reference = new ReferenceScorer(referenceModel, _options.MaxForwardTokens, instruments.EngineCpu);
        _watcher = watcher ?? throw new ArgumentNullException(nameof(watcher));
        _rewardModels = _options.RewardModelNames.Select(registry.Get).ToArray();
        _router = router ?? throw new ArgumentNullException(nameof(router));
        _feedback = feedback ?? throw new ArgumentNullException(nameof(feedback));
        _selector = PairSelectorFactory.Create(_options.ToSelectorOptions());
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _topics = connection.Topics;
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _normalizer = _options.ToNormalizer();
    }

    /// <summary>State-store key marking a candidate set whose outputs were acknowledged.</summary>
    public static string DoneKey(string recordId) => "scorer:done:" + recordId;

    /// <summary>Idempotency claim taken after a set's outputs were acknowledged (false = another delivery finished it first).</summary>
    public static string ClaimKey(string recordId) => "scorer:scored:" + recordId;

    /// <summary>Scores a batch; completes after its outputs are acknowledged (see <see cref="IBatchRecordHandler{T}"/>).</summary>
    public async Task HandleBatchAsync(IReadOnlyList<ConsumedRecord<CandidateSet>> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var batchClock = Stopwatch.StartNew();
        await _watcher.EnsureCheckedAsync(cancellationToken).ConfigureAwait(false);
        var work = await TakeNewAsync(records, cancellationToken).ConfigureAwait(false);
        if (work.Count == 0)
        {
            return;
        }

        // Reference log-probs of every candidate in as few forward passes as fit.
        var sequences = work.SelectMany(w => w.Set.Candidates.Select(c => new ReferenceSequence([.. w.Set.PromptTokens], [.. c.Tokens]))).ToArray();
        var clock = Stopwatch.StartNew();
        var wantEmbeddings = _options.Selector == "rbon-wd";
        var (reference, referenceVersion) = await _reference.ScoreAsync(sequences, _options.Segments, wantEmbeddings, cancellationToken).ConfigureAwait(false);
        _instruments.ReferenceScored(referenceVersion, clock.Elapsed);
        var offset = 0;
        foreach (var w in work)
        {
            w.Reference = reference.AsSpan(offset, w.Set.Candidates.Count).ToArray();
            offset += w.Set.Candidates.Count;
        }

        // One arm per task-homogeneous group: LinUCB on the mean prompt embedding, over the shared statistics.
        foreach (var group in work.GroupBy(w => (Experiment: w.Set.Prompt.Experiment ?? "", Task: w.Set.Prompt.Task ?? "")))
        {
            var members = group.ToArray();
            var batchId = ScorerIds.BatchId(group.Key.Experiment, group.Key.Task, members.Select(m => m.RecordId));
            var context = MeanContext(members);
            var choosing = Stopwatch.GetTimestamp();
            var choice = await _router.ChooseAsync(group.Key.Experiment, group.Key.Task, batchId, context, cancellationToken).ConfigureAwait(false);
            _instruments.ArmChosen(Stopwatch.GetElapsedTime(choosing));
            foreach (var m in members)
            {
                m.BatchId = batchId;
                m.Arm = choice;
            }
        }

        // Every reward model on the candidates it scores (all of them, or only the groups whose arm it is), one batched
        // call each; non-finite scores are the record's fault.
        foreach (var w in work)
        {
            w.Scores = new Dictionary<string, float[]>(StringComparer.Ordinal);
        }
        foreach (var model in _rewardModels)
        {
            var scoredHere = _options.ScoreAllRewardModels ? work : work.Where(w => w.Arm!.RewardModel == model.Name).ToList();
            if (scoredHere.Count == 0)
            {
                continue;
            }
            var inputs = scoredHere.SelectMany(w => w.Set.Candidates.Select(c => new RewardInput(w.Set.Prompt.Text, ResponseText(c), NullIfEmpty(w.Set.Prompt.Task)))).ToArray();
            var started = Stopwatch.GetTimestamp();
            var s = await model.ScoreAsync(inputs, cancellationToken).ConfigureAwait(false);
            CheckScores(model, s, scoredHere);
            _instruments.RewardModelScored(model.Name, Stopwatch.GetElapsedTime(started), s);
            var at = 0;
            foreach (var w in scoredHere)
            {
                w.Scores![model.Name] = s.AsSpan(at, w.Set.Candidates.Count).ToArray();
                at += w.Set.Candidates.Count;
            }
        }

        if (_options.Segments)
        {
            await ComputeSegmentsAsync(work, cancellationToken).ConfigureAwait(false);
        }

        // Time spent scoring, recorded on the sets for analysis (the batch's time up to publishing).
        var scoreMs = batchClock.Elapsed.TotalMilliseconds;
        foreach (var w in work)
        {
            w.Set.Timings ??= new Timings();
            w.Set.Timings.ScoreMs = scoreMs;
        }

        // Build every output first, then publish them all and wait for the acknowledgements.
        var producing = Stopwatch.GetTimestamp();
        var produces = new List<Task>();
        var emitted = new List<(string RewardModel, double Margin)>();
        foreach (var w in work)
        {
            var (scored, pairs, skip) = Build(w, referenceVersion);
            produces.Add(_producer.ProduceAsync(_topics.Scored, w.Set.Prompt.PromptId, scored, cancellationToken: cancellationToken));
            foreach (var pair in pairs)
            {
                produces.Add(_producer.ProduceAsync(_topics.Pairs, w.Set.Prompt.PromptId, pair, cancellationToken: cancellationToken));
                emitted.Add((pair.RewardModel, pair.RewardMargin));
            }
            w.SkipReason = skip;
        }
        await Task.WhenAll(produces).ConfigureAwait(false);
        _instruments.Published(Stopwatch.GetElapsedTime(producing));

        // Outputs are acknowledged: remember the record ids so a redelivery is dropped.
        var ttl = TimeSpan.FromHours(_options.DuplicateTtlHours);
        // Issued together, so a Redis store pipelines them instead of paying two round trips per record.
        await Task.WhenAll(work.SelectMany(w => new[]
        {
            _state.TryClaimAsync(ClaimKey(w.RecordId), ttl, cancellationToken),
            _state.SetValueAsync(DoneKey(w.RecordId), w.BatchId, ttl, cancellationToken),
        })).ConfigureAwait(false);
        foreach (var w in work)
        {
            _instruments.SetScored();
            if (w.SkipReason is not null)
            {
                _instruments.SetSkipped("no-pair");
            }
        }
        foreach (var group in work.GroupBy(w => w.BatchId))
        {
            var first = group.First();
            _instruments.ArmPulled(first.Arm!.RewardModel, first.Set.Prompt.Task ?? "");
            if (_options.Bandit && !double.IsNaN(_options.BanditNoPairReward) && group.All(w => w.SkipReason is not null))
            {
                // The arm ranked every candidate of the group equal: no pair reaches the trainer, so no loss comes back.
                // Mark the pull down here, through the same idempotent path as the trainer's feedback.
                await _feedback.ApplyAsync(new BanditFeedback(group.Key!, first.Arm.Arm, first.Arm.Context.Select(v => (float)v).ToArray(), 0.0),
                    _options.BanditNoPairReward, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (rm, margin) in emitted)
        {
            _instruments.PairEmitted(rm, margin);
        }
    }

    /// <summary>Drops duplicates (within the batch and already scored) and validates the rest.</summary>
    private async Task<List<WorkItem>> TakeNewAsync(IReadOnlyList<ConsumedRecord<CandidateSet>> records, CancellationToken cancellationToken)
    {
        var work = new List<WorkItem>(records.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Whether each record was already scored, for the whole batch in one round trip.
        var done = await _state.GetValuesAsync(records.Select(r => DoneKey(r.RecordId)).ToList(), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var id = record.RecordId;
            if (!seen.Add(id) || done[i] is not null)
            {
                _instruments.SetSkipped("duplicate");
                continue;
            }
            if (Problem(record.Value) is { } problem)
            {
                throw new PermanentRecordException($"candidate set {id}: {problem}");
            }
            work.Add(new WorkItem(id, record.Value));
        }
        return work;
    }

    private string? Problem(CandidateSet set)
    {
        if (set.Prompt is null)
        {
            return "has no prompt";
        }
        if (string.IsNullOrEmpty(set.Prompt.PromptId))
        {
            return "its prompt has no prompt_id";
        }
        if (set.Candidates.Count == 0)
        {
            return "has no candidates";
        }
        if (set.PromptEmbedding.Any(v => !float.IsFinite(v)))
        {
            return "prompt_embedding has a non-finite value";
        }
        for (var i = 0; i < set.Candidates.Count; i++)
        {
            if (_reference.Check(new ReferenceSequence([.. set.PromptTokens], [.. set.Candidates[i].Tokens])) is { } problem)
            {
                return $"candidate {i}: {problem}";
            }
        }
        return null;
    }

    private static void CheckScores(IRewardModel model, float[] scores, List<WorkItem> work)
    {
        var total = work.Sum(w => w.Set.Candidates.Count);
        if (scores.Length != total)
        {
            // The model broke its contract for the whole batch: transient from the loop's point of view.
            throw new InvalidOperationException($"reward model {model.Name}@{model.Version} returned {scores.Length} scores for {total} candidates");
        }
        var index = 0;
        foreach (var w in work)
        {
            for (var c = 0; c < w.Set.Candidates.Count; c++, index++)
            {
                if (!float.IsFinite(scores[index]))
                {
                    throw new PermanentRecordException(string.Create(CultureInfo.InvariantCulture,
                        $"candidate set {w.RecordId}: reward model {model.Name}@{model.Version} scored candidate {c} as {scores[index]}; non-finite rewards cannot be ranked"));
                }
            }
        }
    }

    /// <summary>Mean of the group's prompt embeddings (the generator's, else the reference hidden state at the last prompt token).</summary>
    private static float[] MeanContext(WorkItem[] members)
    {
        var vectors = members.Select(ContextOf).ToArray();
        var width = vectors[0].Length;
        if (vectors.Any(v => v.Length != width))
        {
            throw new PermanentRecordException($"prompt embeddings of one task group have different widths ({string.Join(", ", vectors.Select(v => v.Length).Distinct())}); the generators must run one model");
        }
        var mean = new float[width];
        foreach (var v in vectors)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1f / vectors.Length, mean);
        return mean;
    }

    private static float[] ContextOf(WorkItem w) => w.Set.PromptEmbedding.Count > 0 ? [.. w.Set.PromptEmbedding] : w.Reference![0].PromptHidden;

    /// <summary>Entropy segments of every candidate and their rewards from the group's arm on response prefixes.</summary>
    private async Task ComputeSegmentsAsync(List<WorkItem> work, CancellationToken cancellationToken)
    {
        var eos = _referenceModel.Tokenizer.EosId;
        foreach (var armGroup in work.GroupBy(w => w.Arm!.RewardModel))
        {
            var model = _rewardModels.First(m => m.Name == armGroup.Key);
            var items = armGroup.ToArray();
            var prefixes = new List<RewardInput>();
            var layout = new List<(WorkItem Item, int Candidate, Segment[] Segments)>();
            foreach (var w in items)
            {
                for (var c = 0; c < w.Set.Candidates.Count; c++)
                {
                    var tokens = w.Set.Candidates[c].Tokens;
                    var endsWithEos = eos is { } e && tokens.Count > 0 && tokens[^1] == e;
                    var segments = SegmentRewards.Segment(w.Reference![c].Entropies!, tokens.Count, endsWithEos, _options.SegmentTau);
                    foreach (var s in segments)
                    {
                        var prefix = _referenceModel.Tokenizer.Decode(tokens.Take(s.End + 1).ToArray(), skipSpecialTokens: true);
                        prefixes.Add(new RewardInput(w.Set.Prompt.Text, prefix, NullIfEmpty(w.Set.Prompt.Task)));
                    }
                    layout.Add((w, c, segments));
                }
            }
            var values = prefixes.Count == 0 ? [] : await model.ScoreAsync(prefixes, cancellationToken).ConfigureAwait(false);
            if (values.Length != prefixes.Count || values.Any(v => !float.IsFinite(v)))
            {
                var bad = items[0];
                throw new PermanentRecordException($"candidate set {bad.RecordId}: reward model {model.Name} gave a non-finite or missing segment reward");
            }
            var next = 0;
            foreach (var (item, candidate, segments) in layout)
            {
                var rewards = values.AsSpan(next, segments.Length).ToArray().Select(v => (double)v).ToArray();
                next += segments.Length;
                var perToken = _normalizer.Densify(segments, rewards, item.Set.Candidates[candidate].Tokens.Count);
                item.Segments ??= new SegmentRewards[item.Set.Candidates.Count];
                item.Segments[candidate] = new SegmentRewards(segments, rewards, perToken);
            }
        }
    }

    private (ScoredSet Scored, List<PreferencePair> Pairs, string? SkipReason) Build(WorkItem w, long referenceVersion)
    {
        var set = w.Set;
        var arm = w.Arm!;
        var reference = w.Reference!;
        var scored = new ScoredSet
        {
            SchemaVersion = SchemaVersion,
            RecordId = w.RecordId,
            Candidates = set,
            ReferenceVersion = referenceVersion,
            BanditArm = arm.RewardModel,
            BatchId = w.BatchId,
        };
        for (var c = 0; c < set.Candidates.Count; c++)
        {
            var s = new CandidateScores
            {
                ReferenceLogprobSum = (float)reference[c].LogProbSum,
            };
            s.ReferenceLogprobs.AddRange(reference[c].TokenLogProbs);
            foreach (var (name, values) in w.Scores!)
            {
                s.Rewards[name] = values[c];
            }
            if (w.Segments?[c] is { } seg)
            {
                for (var i = 0; i < seg.Segments.Length; i++)
                {
                    s.Segments.Add(new ProtoSegment { Start = seg.Segments[i].Start, End = seg.Segments[i].End + 1, Reward = (float)seg.Rewards[i] });
                }
            }
            scored.Scores.Add(s);
        }

        var rewards = w.Scores![arm.RewardModel].Select(v => (double)v).ToArray();
        var input = new SelectionInput(
            rewards,
            reference.Select(r => r.LogProbSum).ToArray(),
            _options.Selector == "rbon-wd" ? CosineSimilarity.Matrix(reference.Select(r => r.ResponseEmbedding!).ToArray()) : null);
        var result = _selector.Select(input);
        var pairs = new List<PreferencePair>();
        if (result.IsSkipped)
        {
            return (scored, pairs, result.SkipReason);
        }
        var spread = rewards.Max() - rewards.Min();
        var embedding = ContextOf(w);
        foreach (var p in result.Pairs)
        {
            var chosen = set.Candidates[p.Chosen];
            var rejected = set.Candidates[p.Rejected];
            var pair = new PreferencePair
            {
                SchemaVersion = SchemaVersion,
                PairId = ScorerIds.PairId(w.RecordId, set.Prompt.PromptId, set.PolicyVersionStart, set.PolicyVersionEnd, p.Chosen, p.Rejected),
                Prompt = set.Prompt,
                ChosenReferenceLogprobSum = (float)reference[p.Chosen].LogProbSum,
                RejectedReferenceLogprobSum = (float)reference[p.Rejected].LogProbSum,
                // The older of the two samples' policies: staleness is judged by the stalest data in the pair.
                BehaviorPolicyVersion = Math.Min(chosen.PolicyVersionStart, rejected.PolicyVersionStart),
                ReferenceVersion = referenceVersion,
                RewardMargin = (float)p.Margin,
                // [EXT] SPO preference degree: the margin as a share of the set's reward range, in (0, 1].
                PreferenceDegree = spread > 0 ? (float)Math.Clamp(p.Margin / spread, 0.0, 1.0) : 0f,
                RewardModel = arm.RewardModel,
                ChosenIndex = p.Chosen,
                RejectedIndex = p.Rejected,
                BatchId = w.BatchId,
            };
            pair.PromptTokens.AddRange(set.PromptTokens);
            pair.ChosenTokens.AddRange(chosen.Tokens);
            pair.RejectedTokens.AddRange(rejected.Tokens);
            pair.PromptEmbedding.AddRange(embedding);
            if (_options.SegmentWeighting && w.Segments is { } segs)
            {
                pair.ChosenTokenWeights.AddRange(segs[p.Chosen].TokenWeights(_options.TokenWeightKappa, chosen: true));
                pair.RejectedTokenWeights.AddRange(segs[p.Rejected].TokenWeights(_options.TokenWeightKappa, chosen: false));
            }
            pairs.Add(pair);
        }
        return (scored, pairs, null);
    }

    private string ResponseText(Candidate c) =>
        c.Text.Length > 0 || c.Tokens.Count == 0 ? c.Text : _referenceModel.Tokenizer.Decode(c.Tokens.ToArray(), skipSpecialTokens: true);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>One candidate set's state through the stage.</summary>
    private sealed class WorkItem(string recordId, CandidateSet set)
    {
        public string RecordId { get; } = recordId;

        public CandidateSet Set { get; } = set;

        public ReferenceResult[]? Reference { get; set; }

        public Dictionary<string, float[]>? Scores { get; set; }

        public string BatchId { get; set; } = "";

        public ArmChoice? Arm { get; set; }

        public SegmentRewards[]? Segments { get; set; }

        public string? SkipReason { get; set; }
    }
}
