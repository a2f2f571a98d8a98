using AlignStream.Alignment.Bandit;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using AlignStream.Scorer.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AlignStream.Scorer.Laser;

/// <summary>
/// LASeR's reward-model router (ALGORITHMS.md §3): LinUCB over the bandit every scorer replica shares through the
/// state store as an event log of observations (arm, context, reward). Each router keeps its own copy of the sums and
/// of A⁻¹ and, before each choice, reads only the observations appended since its last read (a few KB), folding them in
/// log order with a rank-one Sherman–Morrison update each; every so often it folds the log into the stored snapshot so
/// the log stays short. The chosen arm's context is kept in the store under the batch id (with a TTL) until the
/// trainer's loss for that batch comes back, so whichever replica receives the feedback can append it.
/// </summary>
public sealed partial class LaserRouter
{
    private readonly IStateStore _state;
    private readonly ScorerOptions _options;
    private readonly IReadOnlyList<string> _arms;
    private readonly ILogger<LaserRouter> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Replica> _replicas = new(StringComparer.Ordinal);

    /// <summary>Sherman–Morrison updates of one arm after which its A⁻¹ is inverted in full again, which bounds accumulated rounding.</summary>
    internal const int FullInversionEvery = 256;

    /// <summary>Creates the router over the configured reward models (one arm each).</summary>
    public LaserRouter(IStateStore state, IOptions<ScorerOptions> options, ILogger<LaserRouter>? logger = null)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
        _arms = _options.RewardModelNames;
        _logger = logger ?? NullLogger<LaserRouter>.Instance;
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
        Replica? known;
        lock (_gate)
        {
            known = _replicas.GetValueOrDefault(key);
        }
        // Only the observations after this router's position travel; a router that has none yet (or another width)
        // reads from 0 and gets the stored snapshot with the log after it.
        var from = known is not null && known.Dimension == context.Length ? known.Next : 0;
        var log = await _state.ReadBanditAsync(key, from, cancellationToken).ConfigureAwait(false);
        if (log is not null && log.Dimension != context.Length)
        {
            throw new PermanentRecordException(
                $"prompt embedding has width {context.Length} but bandit '{key}' was trained on width {log.Dimension}; a model change needs a new experiment name");
        }
        BanditChoice choice;
        Replica replica;
        (long UpTo, BanditSnapshot Sums)? compaction = null;
        lock (_gate)
        {
            replica = Advance(key, known, context.Length, from, log);
            choice = replica.Bandit.Score(context.Select(v => (double)v).ToArray());
            if (log is not null && replica.Next - log.Base >= _options.BanditCompactEvery && !replica.Compacting && replica.CanCompact)
            {
                replica.Compacting = true;
                compaction = (replica.Next, replica.Sums());
            }
        }
        if (compaction is { } c)
        {
            await CompactAsync(key, replica, c.UpTo, c.Sums, cancellationToken).ConfigureAwait(false);
        }
        var pull = new PendingPull(key, choice.Arm, _arms[choice.Arm], choice.Context);
        await _state.SetValueAsync(LaserKeys.Pending(batchId), pull.ToJson(), TimeSpan.FromSeconds(_options.BanditPendingTtlSeconds), cancellationToken)
            .ConfigureAwait(false);
        return new ArmChoice(choice.Arm, _arms[choice.Arm], choice.Ucb, choice.Context);
    }

    /// <summary>
    /// The router's copy of bandit <paramref name="key"/> brought up to <paramref name="log"/> (read from position
    /// <paramref name="from"/> while <paramref name="known"/> was current). Under the gate. A copy another call replaced
    /// meanwhile is simply used as it is; a log that no longer reaches <paramref name="from"/> (the bandit was reset) or
    /// starts after the copy's position (compacted past it) is rebuilt from.
    /// </summary>
    private Replica Advance(string key, Replica? known, int dimension, long from, BanditLog? log)
    {
        var current = _replicas.GetValueOrDefault(key);
        if (!ReferenceEquals(current, known) && current is not null && current.Dimension == dimension)
        {
            return current;
        }
        if (log is null)
        {
            if (current is null || current.Dimension != dimension || current.Next != 0)
            {
                current = Replica.Build(_arms.Count, dimension, _options.BanditAlpha, null, 0);
                _replicas[key] = current;
            }
            return current;
        }
        if (current is null || current.Dimension != dimension || log.Next < from || current.Next < log.Start)
        {
            if (log.Snapshot is null && log.Start != 0)
            {
                // Cannot happen with a store that keeps its contract: a position outside the log comes with the snapshot.
                throw new InvalidOperationException($"bandit '{key}' answered from position {log.Start} without the snapshot before it");
            }
            current = Replica.Build(_arms.Count, dimension, _options.BanditAlpha, log.Snapshot, log.Start);
            _replicas[key] = current;
        }
        for (var i = (int)(current.Next - log.Start); i < log.Entries.Count; i++)
        {
            if (!current.Apply(log.Entries[i]))
            {
                LogForeignArm(key, log.Entries[i].Arm, _arms.Count);
            }
        }
        return current;
    }

    private async Task CompactAsync(string key, Replica replica, long upTo, BanditSnapshot sums, CancellationToken cancellationToken)
    {
        try
        {
            if (await _state.CompactBanditAsync(key, upTo, sums, cancellationToken).ConfigureAwait(false))
            {
                LogCompacted(key, upTo);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The log only grows a while longer: the next choice tries again.
            LogCompactFailed(ex, key, upTo);
        }
        finally
        {
            lock (_gate)
            {
                replica.Compacting = false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "bandit {Bandit}: observations before {UpTo} folded into the stored snapshot")]
    private partial void LogCompacted(string bandit, long upTo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bandit {Bandit}: folding the log up to {UpTo} into the snapshot failed; the next choice tries again")]
    private partial void LogCompactFailed(Exception exception, string bandit, long upTo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bandit {Bandit} holds an observation of arm {Arm} but this scorer has {Arms} reward models; it is skipped here and this scorer does not compact the log")]
    private partial void LogForeignArm(string bandit, int arm, int arms);

    /// <summary>
    /// One bandit as this router knows it: the raw sums Σx·xᵀ per arm (exact, so a snapshot written from them equals the
    /// log's fold), a LinUCB bandit over I + sums whose b and pull counts are the fold's own, and the log position reached.
    /// </summary>
    private sealed class Replica
    {
        private readonly double[][] _sumA;
        private readonly int[] _sinceInversion;
        private bool _foreign;

        private Replica(int dimension, long next, double[][] sumA, LinUcbBandit bandit, bool foreign)
        {
            Dimension = dimension;
            Next = next;
            _sumA = sumA;
            Bandit = bandit;
            _foreign = foreign;
            _sinceInversion = new int[sumA.Length];
        }

        public int Dimension { get; }

        /// <summary>The log position of the next observation to fold.</summary>
        public long Next { get; private set; }

        public LinUcbBandit Bandit { get; }

        public bool Compacting { get; set; }

        /// <summary>False once an observation of an arm this scorer does not have was skipped: its sums would not be the whole log's.</summary>
        public bool CanCompact => !_foreign;

        public static Replica Build(int arms, int dimension, double alpha, BanditSnapshot? snapshot, long start)
        {
            var sumA = new double[arms][];
            var sums = new Dictionary<int, ArmSums>();
            var foreign = false;
            for (var k = 0; k < arms; k++)
            {
                sumA[k] = new double[dimension * dimension];
            }
            foreach (var (arm, s) in snapshot?.Arms ?? new Dictionary<int, BanditArmStatistics>())
            {
                if (arm >= arms)
                {
                    foreign = true;
                    continue;
                }
                Array.Copy(s.A, sumA[arm], s.A.Length);
                sums[arm] = new ArmSums(s.A, (double[])s.B.Clone(), s.Pulls);
            }
            var options = new LinUcbOptions { Arms = arms, Dimension = dimension, Alpha = alpha };
            return new Replica(dimension, start, sumA, new LinUcbBandit(options, BanditState.FromSums(arms, dimension, sums)), foreign);
        }

        /// <summary>Folds the observation at <see cref="Next"/>; false when its arm is not one of this scorer's.</summary>
        public bool Apply(BanditObservation observation)
        {
            Next++;
            if (observation.Arm >= _sumA.Length)
            {
                _foreign = true;
                return false;
            }
            var arm = observation.Arm;
            observation.AddOuterTo(_sumA[arm]);
            Bandit.Apply(new BanditUpdate(arm, observation.Context, observation.RawReward, observation.Reward));
            // The router judges rewards through the shared history ring, not this copy's: keep it from growing.
            Bandit.State.History.Clear();
            if (++_sinceInversion[arm] >= FullInversionEvery)
            {
                var a = Bandit.State.A[arm];
                var d = Dimension;
                Array.Copy(_sumA[arm], a, a.Length);
                for (var i = 0; i < d; i++)
                {
                    a[(i * d) + i] += 1.0;
                }
                Bandit.Reinvert(arm);
                _sinceInversion[arm] = 0;
            }
            return true;
        }

        /// <summary>Copies of the sums up to <see cref="Next"/>, the arms pulled so far only.</summary>
        public BanditSnapshot Sums()
        {
            var state = Bandit.State;
            var arms = new Dictionary<int, BanditArmStatistics>();
            for (var k = 0; k < _sumA.Length; k++)
            {
                if (state.Counts[k] > 0)
                {
                    arms[k] = new BanditArmStatistics((double[])_sumA[k].Clone(), (double[])state.B[k].Clone(), state.Counts[k]);
                }
            }
            return new BanditSnapshot(Dimension, arms);
        }
    }
}
