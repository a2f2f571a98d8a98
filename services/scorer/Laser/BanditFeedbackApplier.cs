using AlignStream.Alignment.Bandit;
using AlignStream.Contracts.Events;
using AlignStream.Platform.State;
using AlignStream.Scorer.Metrics;
using AlignStream.Scorer.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Scorer.Laser;

/// <summary>
/// Applies the trainer's <see cref="BanditFeedback"/> to the shared bandit: looks up the batch's pending pull,
/// normalises the raw reward (r = −loss) against the pooled history (20th/80th percentiles, ALGORITHMS.md §3.1),
/// and appends the observation (arm, x, r, r̃) to the bandit's shared event log, whose fold is A += x·xᵀ, b += r̃·x
/// (see <see cref="LaserRouter"/>). Each batch's feedback is applied at
/// most once across replicas (an idempotency claim comes first: a duplicate update would bias the arm more than
/// a lost one, and the store keeps both numbers it needs).
/// </summary>
public sealed partial class BanditFeedbackApplier
{
    private readonly IStateStore _state;
    private readonly ScorerOptions _options;
    private readonly ScorerInstruments _instruments;
    private readonly ILogger<BanditFeedbackApplier> _logger;

    /// <summary>Creates the applier.</summary>
    public BanditFeedbackApplier(IStateStore state, IOptions<ScorerOptions> options, ScorerInstruments instruments, ILogger<BanditFeedbackApplier> logger)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
        _instruments = instruments ?? throw new ArgumentNullException(nameof(instruments));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Applies one feedback event; returns what happened.</summary>
    public async Task<FeedbackOutcome> ApplyAsync(BanditFeedback feedback, CancellationToken cancellationToken) =>
        await ApplyAsync(feedback, null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Applies one feedback event; with <paramref name="normalizedReward"/> the reward is taken as already normalised
    /// (in [0, 1]) and kept out of the raw history, so it does not move the percentiles real losses are judged by.
    /// </summary>
    public async Task<FeedbackOutcome> ApplyAsync(BanditFeedback feedback, double? normalizedReward, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        var outcome = await ApplyCoreAsync(feedback, normalizedReward, cancellationToken).ConfigureAwait(false);
        _instruments.FeedbackApplied(outcome);
        return outcome;
    }

    private async Task<FeedbackOutcome> ApplyCoreAsync(BanditFeedback feedback, double? normalizedReward, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(feedback.BatchId) || (normalizedReward is null && !double.IsFinite(feedback.Reward)) || normalizedReward is double n && !double.IsFinite(n))
        {
            LogRejected(feedback.BatchId, "no batch id or a non-finite reward");
            return FeedbackOutcome.Rejected;
        }
        var ttl = TimeSpan.FromSeconds(_options.BanditPendingTtlSeconds);
        // The pending pull and the claim in one round trip. A claim taken for feedback that then turns out unusable
        // costs nothing: the same event would be unusable again.
        var pendingTask = _state.GetValueAsync(LaserKeys.Pending(feedback.BatchId), cancellationToken);
        var claimTask = _state.TryClaimAsync(LaserKeys.FeedbackClaim(feedback.BatchId), ttl, cancellationToken);
        await Task.WhenAll(pendingTask, claimTask).ConfigureAwait(false);
        var pendingJson = await pendingTask.ConfigureAwait(false);
        var pull = pendingJson is null ? null : PendingPull.FromJson(pendingJson);
        var outcome = FeedbackOutcome.Applied;
        if (pull is null)
        {
            // Expired or never recorded here: the event carries the arm and context the trainer saw on the pairs.
            var arms = _options.RewardModelNames;
            if (feedback.Arm < 0 || feedback.Arm >= arms.Count || feedback.Context is not { Count: > 0 } || feedback.Context.Any(v => !float.IsFinite(v)))
            {
                LogRejected(feedback.BatchId, "no pending pull for the batch and no usable arm/context in the event");
                return FeedbackOutcome.Rejected;
            }
            pull = new PendingPull(LaserKeys.Bandit(null), feedback.Arm, arms[feedback.Arm], Normalize(feedback.Context));
            outcome = FeedbackOutcome.AppliedFromEvent;
        }
        if (!await claimTask.ConfigureAwait(false))
        {
            return FeedbackOutcome.Duplicate;
        }
        var raw = feedback.Reward;
        var normalized = normalizedReward ?? await NormalizeAsync(pull.Bandit, raw, cancellationToken).ConfigureAwait(false);
        // The observation and the end of the pending pull in one round trip.
        await Task.WhenAll(
            _state.AppendBanditAsync(pull.Bandit, new BanditObservation(pull.Arm, pull.Context, raw, normalized), cancellationToken),
            _state.DeleteValueAsync(LaserKeys.Pending(feedback.BatchId), cancellationToken)).ConfigureAwait(false);
        LogApplied(feedback.BatchId, pull.RewardModel, raw, normalized);
        return outcome;
    }

    /// <summary>
    /// Appends r to the bandit's shared history window (the newest Scorer:BanditHistoryWindow raw rewards, one round
    /// trip) and maps it like LASeR's code: raw while fewer than two rewards are known, else 0 below P20, 1 above P80,
    /// linear between (0.5 when P20 = P80).
    /// </summary>
    private async Task<double> NormalizeAsync(string bandit, double raw, CancellationToken cancellationToken)
    {
        var recent = await _state.PushRecentAsync(
            LaserKeys.History(bandit), raw.ToString("R", System.Globalization.CultureInfo.InvariantCulture), _options.BanditHistoryWindow, cancellationToken)
            .ConfigureAwait(false);
        if (recent.Count <= _options.BanditWarmup)
        {
            // [EXT] Too few losses to place this one: LASeR's code passes the raw −loss through here, a large negative
            // number that buries the first arms tried for good under a small α. Neutral instead, and remember the loss.
            return 0.5;
        }
        var history = new List<double>(recent.Values.Count);
        // The Alignment library's normaliser appends r itself, so it gets the others' rewards only (the last value is r).
        for (var i = 0; i < recent.Values.Count - 1; i++)
        {
            if (double.TryParse(recent.Values[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                history.Add(v);
            }
        }
        var probe = new LinUcbBandit(new LinUcbOptions { Arms = 1, Dimension = 1 }, BanditState.FromSums(1, 1, new Dictionary<int, ArmSums>(), history));
        return probe.NormalizeReward(raw);
    }

    private static double[] Normalize(IReadOnlyList<float> context)
    {
        var x = context.Select(v => (double)v).ToArray();
        var norm = Math.Sqrt(x.Sum(v => v * v));
        if (norm > 0)
        {
            for (var i = 0; i < x.Length; i++)
            {
                x[i] /= norm;
            }
        }
        return x;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "bandit feedback for batch {BatchId} applied to arm {RewardModel}: r = {Raw}, normalised {Normalized}")]
    private partial void LogApplied(string batchId, string rewardModel, double raw, double normalized);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bandit feedback for batch {BatchId} not applied: {Reason}")]
    private partial void LogRejected(string? batchId, string reason);
}
