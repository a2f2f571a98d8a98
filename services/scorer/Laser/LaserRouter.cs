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
        // The pull counts tell whether the cached bandit is current; when it is not, only the arms whose counts moved
        // travel from the store (each arm's d² statistics), or every arm when there is no cached bandit to build on.
        var pulls = await _state.GetBanditPullsAsync(key, _arms.Count, cancellationToken).ConfigureAwait(false);
        var bandit = Cached(key, Signature(context.Length, pulls));
        if (bandit is null)
        {
            var previous = Previous(key, context.Length);
            var changed = previous is null || pulls is null
                ? null
                : Enumerable.Range(0, _arms.Count).Where(k => pulls[k] != previous.State.Counts[k]).ToArray();
            var snapshot = changed is null
                ? await _state.GetBanditAsync(key, cancellationToken).ConfigureAwait(false)
                : await _state.GetBanditArmsAsync(key, changed, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null && snapshot.Dimension != context.Length)
            {
                throw new PermanentRecordException(
                    $"prompt embedding has width {context.Length} but bandit '{key}' was trained on width {snapshot.Dimension}; a model change needs a new experiment name");
            }
            bandit = changed is null ? BanditFor(key, context.Length, snapshot) : Successor(key, previous!, changed, snapshot);
        }
        var choice = bandit.Score(context.Select(v => (double)v).ToArray());
        var pull = new PendingPull(key, choice.Arm, _arms[choice.Arm], choice.Context);
        await _state.SetValueAsync(LaserKeys.Pending(batchId), pull.ToJson(), TimeSpan.FromSeconds(_options.BanditPendingTtlSeconds), cancellationToken)
            .ConfigureAwait(false);
        return new ArmChoice(choice.Arm, _arms[choice.Arm], choice.Ucb, choice.Context);
    }

    /// <summary>LinUCB over a whole snapshot (no cached bandit of this dimension to build on): every arm is inverted.</summary>
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
            var bandit = new LinUcbBandit(options, BanditState.FromSums(_arms.Count, dimension, sums));
            _cache[key] = (signature, bandit, new int[_arms.Count]);
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

    /// <summary>The cached bandit for <paramref name="key"/> when it has <paramref name="dimension"/>, whatever its statistics.</summary>
    private LinUcbBandit? Previous(string key, int dimension)
    {
        lock (_gate)
        {
            return _cache.TryGetValue(key, out var cached) && cached.Bandit.Options.Dimension == dimension ? cached.Bandit : null;
        }
    }

    /// <summary>
    /// The cached bandit brought up to date with the statistics of the arms whose pull counts moved
    /// (<paramref name="changed"/>, as read in <paramref name="snapshot"/>). The other arms' A, b and A⁻¹ are shared with
    /// the previous bandit, not copied: the router's bandits are only scored, never updated in place. One feedback
    /// changes one arm by x·xᵀ, so an arm that gained a few pulls gets a low-rank update of its inverse (O(d²) per
    /// pull, see <see cref="Matrices.UpdateInverse"/>); the rest are inverted (O(d³)).
    /// </summary>
    private LinUcbBandit Successor(string key, LinUcbBandit previous, int[] changed, BanditSnapshot? snapshot)
    {
        var old = previous.State;
        var d = old.Dimension;
        var a = (double[][])old.A.Clone();
        var b = (double[][])old.B.Clone();
        var counts = (long[])old.Counts.Clone();
        foreach (var arm in changed)
        {
            if (snapshot is not null && snapshot.Arms.TryGetValue(arm, out var stored))
            {
                // The fetched sums are this router's own copy: A = I + Σxxᵀ in place.
                for (var i = 0; i < d; i++)
                {
                    stored.A[(i * d) + i] += 1.0;
                }
                a[arm] = stored.A;
                b[arm] = stored.B;
                counts[arm] = stored.Pulls;
            }
            else
            {
                // Gone from the store (reset): back to the prior.
                var fresh = BanditState.Create(1, d);
                a[arm] = fresh.A[0];
                b[arm] = fresh.B[0];
                counts[arm] = 0;
            }
        }
        var state = new BanditState(old.Arms, d, a, b, counts, []);
        var signature = Signature(d, counts);
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var cached) && cached.Signature == signature)
            {
                return cached.Bandit;
            }
            var previousUpdates = _cache.TryGetValue(key, out var entry) && ReferenceEquals(entry.Bandit, previous) ? entry.Updated : null;
            var updated = new int[old.Arms];
            var bandit = new LinUcbBandit(previous.Options, state, arm =>
                ReferenceEquals(a[arm], old.A[arm])
                    ? Shared(previous, previousUpdates, arm, updated)
                    : UpdatedInverse(previous, previousUpdates, state, arm, d, updated));
            _cache[key] = (signature, bandit, updated);
            return bandit;
        }
    }

    private static double[] Shared(LinUcbBandit previous, int[]? previousUpdates, int arm, int[] updated)
    {
        // Without the previous bandit's count of in-place updates, the next change of this arm inverts in full.
        updated[arm] = previousUpdates?[arm] ?? (FullInversionEvery - 1);
        return previous.SharedInverse(arm);
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

    // A moved arm's inverse by a low-rank update of the previous one, or null to invert it in full.
    private static double[]? UpdatedInverse(LinUcbBandit previous, int[]? previousUpdates, BanditState state, int arm, int dimension, int[] updated)
    {
        var gained = state.Counts[arm] - previous.State.Counts[arm];
        if (previousUpdates is null || gained < 1 || gained > MaxIncrementalPulls || previousUpdates[arm] + 1 >= FullInversionEvery)
        {
            return null;
        }
        var inverse = Matrices.UpdateInverse(previous.InverseOf(arm), previous.State.A[arm], state.A[arm], dimension, (int)gained);
        if (inverse is not null)
        {
            updated[arm] = previousUpdates[arm] + 1;
        }
        return inverse;
    }
}
