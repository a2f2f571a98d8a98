using AlignStream.Alignment.Bandit;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Scorer.Options;
using Microsoft.Extensions.Options;

namespace AlignStream.Scorer.Laser;

/// <summary>
/// LASeR's reward-model router (ALGORITHMS.md §3): LinUCB over the bandit statistics every scorer replica shares
/// through the state store. The chosen arm's context is kept in the store under the batch id (with a TTL) until the
/// trainer's loss for that batch comes back, so whichever replica receives the feedback can apply it.
/// </summary>
public sealed class LaserRouter
{
    private readonly IStateStore _state;
    private readonly ScorerOptions _options;
    private readonly IReadOnlyList<string> _arms;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Signature, LinUcbBandit Bandit, int[] Updated)> _cache = new(StringComparer.Ordinal);

    /// <summary>Pulls an arm may gain between two snapshots and still be updated in place rather than re-inverted.</summary>
    internal const int MaxIncrementalPulls = 8;

    /// <summary>In-place updates after which an arm is inverted in full again, which bounds accumulated rounding.</summary>
    internal const int FullInversionEvery = 64;

    /// <summary>Creates the router over the configured reward models (one arm each).</summary>
    public LaserRouter(IStateStore state, IOptions<ScorerOptions> options)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
        _arms = _options.RewardModelNames;
    }

    /// <summary>The arms, in order.</summary>
    public IReadOnlyList<string> Arms => _arms;

    /// <summary>
    /// Picks the arm for one batch group on its (unnormalised) context and records the pending pull under
    /// <paramref name="batchId"/>. With the bandit off, always the first reward model.
    /// </summary>
    public Task<ArmChoice> ChooseAsync(string experiment, string batchId, float[] context, CancellationToken cancellationToken) =>
        ChooseAsync(experiment, "", batchId, context, cancellationToken);

    /// <summary>
    /// As above, for a group of one <paramref name="task"/>: with Scorer:BanditPerTask each task has its own LinUCB
    /// statistics and loss history, so one task's contexts and loss scale never blur another's choice.
    /// </summary>
    public async Task<ArmChoice> ChooseAsync(string experiment, string task, string batchId, float[] context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_options.Bandit)
        {
            return new ArmChoice(0, _arms[0], [], []);
        }
        var key = _options.BanditPerTask && !string.IsNullOrEmpty(task) ? LaserKeys.Bandit(experiment, task) : LaserKeys.Bandit(experiment);
        // The pull counts tell whether the cached bandit is current; only when it is not do the d² statistics of
        // every arm travel from the store.
        var pulls = await _state.GetBanditPullsAsync(key, _arms.Count, cancellationToken).ConfigureAwait(false);
        var bandit = Cached(key, Signature(context.Length, pulls));
        if (bandit is null)
        {
            var snapshot = await _state.GetBanditAsync(key, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null && snapshot.Dimension != context.Length)
            {
                throw new PermanentRecordException(
                    $"prompt embedding has width {context.Length} but bandit '{key}' was trained on width {snapshot.Dimension}; a model change needs a new experiment name");
            }
            bandit = BanditFor(key, context.Length, snapshot);
        }
        var choice = bandit.Score(context.Select(v => (double)v).ToArray());
        var pull = new PendingPull(key, choice.Arm, _arms[choice.Arm], choice.Context);
        await _state.SetValueAsync(LaserKeys.Pending(batchId), pull.ToJson(), TimeSpan.FromSeconds(_options.BanditPendingTtlSeconds), cancellationToken)
            .ConfigureAwait(false);
        return new ArmChoice(choice.Arm, _arms[choice.Arm], choice.Ucb, choice.Context);
    }

    /// <summary>
    /// LinUCB over the snapshot, rebuilt only when the shared statistics changed, and then without inverting arms
    /// that gained only a few pulls (see <see cref="Matrices.UpdateInverse"/>).
    /// </summary>
    private LinUcbBandit BanditFor(string key, int dimension, BanditSnapshot? snapshot)
    {
        var signature = Signature(dimension, snapshot is null ? null : PullsOf(snapshot));
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var cached) && cached.Signature == signature)
            {
                return cached.Bandit;
            }
            var sums = snapshot?.Arms
                .Where(a => a.Key < _arms.Count)
                .ToDictionary(a => a.Key, a => new ArmSums(a.Value.A, a.Value.B, a.Value.Pulls))
                ?? new Dictionary<int, ArmSums>();
            var options = new LinUcbOptions { Arms = _arms.Count, Dimension = dimension, Alpha = _options.BanditAlpha };
            var previous = _cache.TryGetValue(key, out var old) && old.Bandit.Options.Dimension == dimension ? old : default;
            var state = BanditState.FromSums(_arms.Count, dimension, sums);
            var updated = new int[_arms.Count];
            // One feedback changes one arm by x·xᵀ: arms whose A is unchanged keep their inverse, arms that gained a
            // few pulls get a low-rank update of it (O(d²) per pull), the rest are inverted (O(d³)).
            var bandit = new LinUcbBandit(options, state, arm => KnownInverse(previous.Bandit, previous.Updated, state, arm, dimension, updated));
            _cache[key] = (signature, bandit, updated);
            return bandit;
        }
    }

    /// <summary>The cached bandit for <paramref name="key"/> if its statistics are the ones <paramref name="signature"/> describes.</summary>
    private LinUcbBandit? Cached(string key, string signature)
    {
        lock (_gate)
        {
            return _cache.TryGetValue(key, out var cached) && cached.Signature == signature ? cached.Bandit : null;
        }
    }

    // Every update adds pulls, so per-arm pull counts identify a snapshot's content.
    private static string Signature(int dimension, long[]? pulls) =>
        pulls is null ? $"{dimension}:empty" : $"{dimension}:" + string.Join(",", pulls);

    private long[] PullsOf(BanditSnapshot snapshot)
    {
        var pulls = new long[_arms.Count];
        foreach (var (arm, statistics) in snapshot.Arms)
        {
            if (arm < pulls.Length)
            {
                pulls[arm] = statistics.Pulls;
            }
        }
        return pulls;
    }

    private static double[]? KnownInverse(LinUcbBandit? previous, int[]? previousUpdates, BanditState state, int arm, int dimension, int[] updated)
    {
        if (previous is null || previousUpdates is null || arm >= previous.State.Arms)
        {
            return null;
        }
        var oldA = previous.State.A[arm];
        var newA = state.A[arm];
        if (oldA.AsSpan().SequenceEqual(newA))
        {
            updated[arm] = previousUpdates[arm];
            return previous.InverseOf(arm).ToArray();
        }
        var gained = state.Counts[arm] - previous.State.Counts[arm];
        if (gained < 1 || gained > MaxIncrementalPulls || previousUpdates[arm] + 1 >= FullInversionEvery)
        {
            return null;
        }
        var inverse = Matrices.UpdateInverse(previous.InverseOf(arm), oldA, newA, dimension, (int)gained);
        if (inverse is not null)
        {
            updated[arm] = previousUpdates[arm] + 1;
        }
        return inverse;
    }
}
