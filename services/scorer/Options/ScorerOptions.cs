using System.Globalization;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Alignment.Segments;
using AlignStream.Alignment.Selection;
using AlignStream.Platform.Hosting;

namespace AlignStream.Scorer.Options;

/// <summary>
/// The scorer stage's settings (section <c>Scorer</c>): which reward models score, how pairs are selected,
/// the LASeR bandit, segment rewards and token weights, batching and deduplication. Defaults follow
/// ALGORITHMS.md (max-min pairs, α = 0.1, τ = 2 nats, κ = 0.5).
/// </summary>
public sealed class ScorerOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Scorer";

    /// <summary>Comma-separated reward model names from the Alignment registry (afinn, vader, toxicity, arith, length). Each is one LASeR arm, in this order.</summary>
    public string RewardModels { get; set; } = "afinn";

    /// <summary>
    /// Score every candidate with every reward model (the scored records then carry all of them, for analysis and
    /// offline replay); off = only the model of the arm the bandit chose for the candidate's group, which saves the
    /// cost of engine-backed reward models on the groups that do not use them.
    /// </summary>
    public bool ScoreAllRewardModels { get; set; } = true;

    /// <summary>Pair selector: bon, max-min, rbon-kl, rbon-wd or next-k.</summary>
    public string Selector { get; set; } = "max-min";

    /// <summary>RBoN β (the KL and WD terms have very different scales, ALGORITHMS.md §1.3: set it per selector).</summary>
    public double SelectorBeta { get; set; }

    /// <summary>Rejected rule of bon/rbon-*: regularized, worst or random.</summary>
    public string Rejected { get; set; } = "regularized";

    /// <summary>Keep a pair only when R_chosen − R_rejected is above this (0 drops ties).</summary>
    public double MinMargin { get; set; }

    /// <summary>next-k: runners-up paired with the best (LASeR uses 10).</summary>
    public int NextK { get; set; } = 10;

    /// <summary>Seed of the random rejected rule.</summary>
    public int SelectorSeed { get; set; }

    /// <summary>rbon-wd: leave the diagonal out of the similarity row means.</summary>
    public bool ExcludeSelfSimilarity { get; set; }

    /// <summary>Consumer group shared by scorer replicas.</summary>
    public string GroupId { get; set; } = "align-scorer";

    /// <summary>Most candidate sets per batch.</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>Longest a batch waits to fill, in milliseconds.</summary>
    public int MaxBatchWaitMs { get; set; } = 50;

    /// <summary>Token capacity of one reference forward pass (prompt + response tokens of several candidates); bounds memory.</summary>
    public int MaxForwardTokens { get; set; } = 2048;

    /// <summary>Threads of the engine's own loops for the reference model.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Seconds between reference pointer checks (the safety net for a missed ReferenceUpdated event).</summary>
    public double ReferencePollSeconds { get; set; } = 5;

    /// <summary>Choose the reward model of each task group with LASeR's LinUCB; off = always the first reward model.</summary>
    public bool Bandit { get; set; } = true;

    /// <summary>LinUCB exploration weight α.</summary>
    public double BanditAlpha { get; set; } = 0.1;

    /// <summary>
    /// [EXT] Normalised bandit reward (0 = as bad as the worst 20% of losses, 1 = as good as the best 20%) for a task
    /// group whose arm ranked every candidate equal, so no pair and no training loss comes back: without it an arm that
    /// cannot tell candidates apart would never be marked down. It stays out of the raw loss history. NaN turns it off
    /// (such pulls then get no feedback, as in LASeR, where every arm always ranks).
    /// </summary>
    public double BanditNoPairReward { get; set; }

    /// <summary>
    /// [EXT] One LinUCB state and loss history per task (the prompt's task tag) instead of one per experiment. Prompt
    /// embeddings of different tasks share a large common direction, and their losses have different scales, so a single
    /// bandit lets one task's best arm leak into another's choices. Off = LASeR's single bandit over the embedding.
    /// </summary>
    public bool BanditPerTask { get; set; } = true;

    /// <summary>
    /// [EXT] Feedback events whose normalised reward is a neutral 0.5 while the loss history fills (LASeR's code uses the
    /// raw −loss for the first one, which ends exploration of the arms tried first). 0 = LASeR's behaviour.
    /// </summary>
    public int BanditWarmup { get; set; } = 8;

    /// <summary>Raw rewards kept (pooled over arms) for the 20th/80th-percentile normalisation.</summary>
    public int BanditHistoryWindow { get; set; } = 128;

    /// <summary>How long a batch's pending context waits in the state store for the trainer's feedback, in seconds.</summary>
    public int BanditPendingTtlSeconds { get; set; } = 3600;

    /// <summary>
    /// Observations the shared bandit's event log may hold before a scorer folds them into the stored snapshot and trims
    /// the log (each is about 8·d bytes; a scorer that starts reads the snapshot and at most about this many).
    /// </summary>
    public int BanditCompactEvery { get; set; } = 1024;

    /// <summary>Compute entropy segments and segment rewards for every candidate (ALGORITHMS.md §5A).</summary>
    public bool Segments { get; set; }

    /// <summary>Entropy threshold τ in nats; 0 = token-level segments, 1000 = one segment.</summary>
    public double SegmentTau { get; set; } = 2.0;

    /// <summary>Location normaliser constants "a_mu,a_sigma,b_mu,b_sigma" (param.json order); the default is the identity (μ = 0, σ = 1).</summary>
    public string SegmentNormalizer { get; set; } = "0,0,0,1";

    /// <summary>Emit per-token weights on pairs from the segment rewards (soft token weighting, needs Segments).</summary>
    public bool SegmentWeighting { get; set; }

    /// <summary>κ of the soft token weights w = clip(1 ± κ·ρ̃, 0, 2).</summary>
    public double TokenWeightKappa { get; set; } = 0.5;

    /// <summary>How long a scored record id is remembered for dropping duplicates, in hours.</summary>
    public double DuplicateTtlHours { get; set; } = 24;

    /// <summary>The reward model names, trimmed, in configuration order.</summary>
    public IReadOnlyList<string> RewardModelNames =>
        RewardModels.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The Alignment library's selector options built from these settings.</summary>
    public SelectorOptions ToSelectorOptions() => new()
    {
        Selector = Selector,
        Beta = SelectorBeta,
        Rejected = ParseRejected(Rejected) ?? RejectedRule.Regularized,
        MinMargin = MinMargin,
        NextK = NextK,
        Seed = SelectorSeed,
        ExcludeSelfSimilarity = ExcludeSelfSimilarity,
    };

    /// <summary>The segment normaliser built from <see cref="SegmentNormalizer"/>.</summary>
    public LocationNormalizer ToNormalizer() => LocationNormalizer.FromParams(ParseNormalizer(SegmentNormalizer)
        ?? throw new InvalidOperationException("Scorer:SegmentNormalizer is invalid; validate the options first."));

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        var names = RewardModelNames;
        if (names.Count == 0)
        {
            yield return (nameof(RewardModels), "must name at least one reward model, e.g. \"afinn,arith,toxicity\"");
        }
        string[] known = [.. new RewardModelRegistry().Names, LearnedRewardModel.ModelName, ArmRewardModel.ModelName];
        foreach (var name in names.Where(n => !known.Contains(n, StringComparer.Ordinal)))
        {
            yield return (nameof(RewardModels), $"names unknown reward model '{name}'; known: {string.Join(", ", known)}");
        }
        if (names.Count != names.Distinct(StringComparer.Ordinal).Count())
        {
            yield return (nameof(RewardModels), "lists a reward model twice; each name is one bandit arm");
        }
        if (!PairSelectorFactory.Names.Contains(Selector))
        {
            yield return (nameof(Selector), $"must be one of {string.Join(", ", PairSelectorFactory.Names)}");
        }
        if (!double.IsFinite(SelectorBeta) || SelectorBeta < 0)
        {
            yield return (nameof(SelectorBeta), "must be a finite number >= 0 (0 is plain best-of-N)");
        }
        if (ParseRejected(Rejected) is null)
        {
            yield return (nameof(Rejected), "must be regularized, worst or random");
        }
        if (!double.IsFinite(MinMargin))
        {
            yield return (nameof(MinMargin), "must be finite (0 drops ties)");
        }
        if (NextK < 1)
        {
            yield return (nameof(NextK), "must be at least 1 (LASeR uses 10)");
        }
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            yield return (nameof(GroupId), "must name the consumer group scorer replicas share, e.g. align-scorer");
        }
        if (MaxBatchSize is < 1 or > 10_000)
        {
            yield return (nameof(MaxBatchSize), "must be within 1..10000");
        }
        if (MaxBatchWaitMs is < 0 or > 60_000)
        {
            yield return (nameof(MaxBatchWaitMs), "must be within 0..60000 milliseconds");
        }
        if (MaxForwardTokens is < 16 or > 1_000_000)
        {
            yield return (nameof(MaxForwardTokens), "must be within 16..1000000 tokens (it sizes the reference forward buffers)");
        }
        if (Threads is < 1 or > 256)
        {
            yield return (nameof(Threads), "must be within 1..256");
        }
        if (!double.IsFinite(ReferencePollSeconds) || ReferencePollSeconds < 0.05 || ReferencePollSeconds > 3600)
        {
            yield return (nameof(ReferencePollSeconds), "must be within 0.05..3600 seconds");
        }
        if (!double.IsFinite(BanditAlpha) || BanditAlpha < 0)
        {
            yield return (nameof(BanditAlpha), "must be a finite number >= 0 (LASeR uses 0.1)");
        }
        if (!double.IsNaN(BanditNoPairReward) && !(BanditNoPairReward is >= 0 and <= 1))
        {
            yield return (nameof(BanditNoPairReward), "must be within 0..1 (normalised reward), or NaN to give no feedback for groups without pairs");
        }
        if (BanditWarmup is < 0 or > 100_000)
        {
            yield return (nameof(BanditWarmup), "must be within 0..100000 feedback events");
        }
        if (BanditHistoryWindow is < 2 or > 100_000)
        {
            yield return (nameof(BanditHistoryWindow), "must be within 2..100000 (the percentile normaliser needs at least 2 rewards)");
        }
        if (BanditCompactEvery is < 1 or > 1_000_000)
        {
            yield return (nameof(BanditCompactEvery), "must be within 1..1000000 observations");
        }
        if (BanditPendingTtlSeconds < 1)
        {
            yield return (nameof(BanditPendingTtlSeconds), "must be at least 1 second; make it longer than the trainer's feedback delay");
        }
        if (!double.IsFinite(SegmentTau) || SegmentTau < 0)
        {
            yield return (nameof(SegmentTau), "must be a finite entropy in nats >= 0 (0 = token-level, 1000 = one segment)");
        }
        if (ParseNormalizer(SegmentNormalizer) is null)
        {
            yield return (nameof(SegmentNormalizer), "must be four finite numbers \"a_mu,a_sigma,b_mu,b_sigma\" with b_sigma away from 0, e.g. \"0,0,0,1\"");
        }
        if (SegmentWeighting && !Segments)
        {
            yield return (nameof(SegmentWeighting), "needs Scorer:Segments=true (token weights come from segment rewards)");
        }
        if (!double.IsFinite(TokenWeightKappa) || TokenWeightKappa < 0)
        {
            yield return (nameof(TokenWeightKappa), "must be a finite number >= 0 (0.5 by default)");
        }
        if (!double.IsFinite(DuplicateTtlHours) || DuplicateTtlHours <= 0)
        {
            yield return (nameof(DuplicateTtlHours), "must be a positive number of hours; longer than the longest redelivery you expect");
        }
    }

    private static RejectedRule? ParseRejected(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "regularized" => RejectedRule.Regularized,
        "worst" => RejectedRule.Worst,
        "random" => RejectedRule.Random,
        _ => null,
    };

    private static double[]? ParseNormalizer(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4)
        {
            return null;
        }
        var values = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return null;
            }
        }
        // σ(p) at p = 1 is b_sigma; it must not be 0 or every normalised reward divides by zero.
        return Math.Abs(values[3]) > 1e-12 ? values : null;
    }
}
