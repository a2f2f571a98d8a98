namespace AlignStream.Cli.Hosting;

/// <summary>
/// Runtime settings for the verbs that host services rather than run the engine flat out. Applied first thing in
/// <c>Main</c>, before anything queues to the thread pool, because the pool reads them once when it starts.
/// </summary>
public static class ServiceRuntime
{
    /// <summary>The runtime property that bounds how long an idle thread-pool worker spins before it sleeps.</summary>
    public const string SpinLimitProperty = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>The environment variable with the same meaning; when set, it wins and nothing here overrides it.</summary>
    public const string SpinLimitVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    /// <summary>
    /// True for the verbs whose process is a long-running host of the stages or the broker: `run`, `up`, `broker`
    /// and `bench loop`. In them the engine runs on one thread per stage and the pool only carries I/O
    /// completions, so a worker that spins after each short item only takes CPU from the engine; the engine tools
    /// and `bench engine` split products over pool threads and keep the default spin.
    /// </summary>
    public static bool HostsServices(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Count > 0 && (args[0] is "run" or "up" or "broker" || (args[0] == "bench" && args.Count > 1 && args[1] == "loop"));
    }

    /// <summary>
    /// Makes idle pool workers sleep at once in service hosts (measured: about half a point less CPU outside the
    /// engine in `bench/distributed-share.sh`, README). Returns whether the setting was applied.
    /// </summary>
    public static bool Apply(IReadOnlyList<string> args)
    {
        if (!HostsServices(args) || Environment.GetEnvironmentVariable(SpinLimitVariable) is not null || AppContext.GetData(SpinLimitProperty) is not null)
        {
            return false;
        }
        AppContext.SetData(SpinLimitProperty, 0);
        return true;
    }
}
