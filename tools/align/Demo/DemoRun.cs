using System.Diagnostics;

namespace AlignStream.Cli.Demo;

/// <summary>One task's eval at one policy version: the means over the eval prompts, and the per-prompt gold scores.</summary>
public sealed record TaskEval(string Task, double Gold, double Proxy, double[] GoldPerPrompt, IReadOnlyList<string> Samples);

/// <summary>One point of the run's time series.</summary>
public sealed record SeriesPoint(
    double TimeS, long PolicyVersion, double PromptsPerS, double TokensPerS, double Loss, double KlToReference,
    double PairsTrained, double Backlog, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Pulls,
    IReadOnlyDictionary<string, double> ProxyRewards);

/// <summary>An eval row of the report.</summary>
public sealed record EvalPoint(long PolicyVersion, double TimeS, string Task, double Gold, double Proxy, string Checkpoint);

/// <summary>
/// The state of one demo run that the evaluator, the live view and the report share: eval results per version, the
/// time series, the newest checkpoint, and the signal that --max-versions was reached.
/// </summary>
public sealed class DemoRun
{
    private readonly Lock _gate = new();
    private readonly List<EvalPoint> _eval = [];
    private readonly List<SeriesPoint> _series = [];
    private readonly Dictionary<string, TaskEval> _base = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskEval> _latest = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public DemoRun(DemoOptions options, string baseCheckpoint)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        BaseCheckpoint = baseCheckpoint ?? throw new ArgumentNullException(nameof(baseCheckpoint));
        FinalCheckpoint = baseCheckpoint;
    }

    public DemoOptions Options { get; }

    public string BaseCheckpoint { get; }

    /// <summary>Folder of the newest evaluated policy (the base until the first new version).</summary>
    public string FinalCheckpoint { get; private set; }

    /// <summary>Newest evaluated policy version (0 = base), −1 before the base eval.</summary>
    public long EvaluatedVersion { get; private set; } = -1;

    /// <summary>New policy versions evaluated so far.</summary>
    public int NewVersionsEvaluated { get; private set; }

    /// <summary>Seconds since the run started.</summary>
    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;

    /// <summary>Completes when --max-versions new versions have been evaluated.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Records the eval of one version (0 = the base model).</summary>
    public void RecordEval(long version, string checkpoint, IReadOnlyList<TaskEval> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_gate)
        {
            var time = ElapsedSeconds;
            foreach (var r in results)
            {
                _eval.Add(new EvalPoint(version, time, r.Task, r.Gold, r.Proxy, checkpoint));
                if (version == 0 && !_base.ContainsKey(r.Task))
                {
                    _base[r.Task] = r;
                }
                _latest[r.Task] = r;
            }
            EvaluatedVersion = version;
            FinalCheckpoint = checkpoint;
            if (version > 0)
            {
                NewVersionsEvaluated++;
            }
        }
        if (Options.MaxVersions > 0 && NewVersionsEvaluated >= Options.MaxVersions)
        {
            _finished.TrySetResult();
        }
    }

    /// <summary>Appends a time-series point.</summary>
    public void RecordSeries(SeriesPoint point)
    {
        lock (_gate)
        {
            _series.Add(point);
        }
    }

    public IReadOnlyList<EvalPoint> Eval
    {
        get
        {
            lock (_gate)
            {
                return [.. _eval];
            }
        }
    }

    public IReadOnlyList<SeriesPoint> Series
    {
        get
        {
            lock (_gate)
            {
                return [.. _series];
            }
        }
    }

    /// <summary>Base and latest eval of a task, when both exist.</summary>
    public (TaskEval Base, TaskEval Latest)? Compare(string task)
    {
        lock (_gate)
        {
            return _base.TryGetValue(task, out var b) && _latest.TryGetValue(task, out var l) ? (b, l) : null;
        }
    }
}
