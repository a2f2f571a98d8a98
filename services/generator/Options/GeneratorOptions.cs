namespace AlignStream.Generator.Options;

/// <summary>The generator stage's settings (section <c>Generator</c>); validated at start, each problem naming its key.</summary>
public sealed class GeneratorOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Generator";

    /// <summary>Base seed of every candidate's RNG: the stream of candidate i of prompt p is derived from (Seed, p, i).</summary>
    public ulong Seed { get; set; } = 1234;

    /// <summary>Name of this replica in records and heartbeats; empty means host name and process id.</summary>
    public string GeneratorId { get; set; } = "";

    /// <summary>Consumer group of the prompts topic; replicas share it.</summary>
    public string GroupId { get; set; } = "align-generator";

    /// <summary>Longest accepted prompt in tokens (BOS included); longer prompts go to the dead-letter topic.</summary>
    public int MaxPromptTokens { get; set; } = 128;

    /// <summary>Sequences decoded together (the decode batch; each candidate takes one slot).</summary>
    public int Slots { get; set; } = 16;

    /// <summary>Most tokens (prefill chunks plus one per running sequence) in one engine step; 0 means Slots + 2 × MaxPromptTokens.</summary>
    public int MaxStepTokens { get; set; }

    /// <summary>Most prompts one consume-loop batch hands over.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Longest a batch waits to fill after its first prompt, in ms.</summary>
    public int BatchWaitMs { get; set; } = 50;

    /// <summary>Parallel consume loops (same group) feeding the one decode batch; 2 keeps slots busy while a batch's last sequences finish.</summary>
    public int ConsumerLoops { get; set; } = 1;

    /// <summary>Threads of the engine's attention loop.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Sampling used for tasks without their own entry and for unset task fields.</summary>
    public TaskSampling Defaults { get; set; } = new();

    /// <summary>Per-task sampling overrides, e.g. <c>Generator:Tasks:arith:MaxNewTokens=16</c>.</summary>
    public Dictionary<string, TaskSampling> Tasks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What to do with prompts of a task that is not in <see cref="Tasks"/>.</summary>
    public UnknownTaskPolicy UnknownTask { get; set; } = UnknownTaskPolicy.Default;

    /// <summary>Stop at the tokenizer's end-of-sequence token (the stop token is kept in the candidate).</summary>
    public bool StopAtEos { get; set; } = true;

    /// <summary>Generation waits while the state-store value <c>trainer:backlog</c> is above this many untrained pairs.</summary>
    public long MaxTrainerBacklog { get; set; } = 256;

    /// <summary>Pause between two backlog checks while throttled, in ms.</summary>
    public int BackpressurePollMs { get; set; } = 100;

    /// <summary>Skip prompts whose id was already generated for within <see cref="DuplicateWindowMinutes"/> (redeliveries).</summary>
    public bool DropDuplicatePrompts { get; set; } = true;

    /// <summary>How long a generated prompt id is remembered for duplicate dropping.</summary>
    public int DuplicateWindowMinutes { get; set; } = 24 * 60;

    /// <summary>Heartbeat period in seconds (the heartbeat lives three periods).</summary>
    public int HeartbeatSeconds { get; set; } = 2;

    /// <summary>Safety-net period of the policy pointer check, in seconds (events normally trigger it at once).</summary>
    public int WeightsPollSeconds { get; set; } = 5;

    /// <summary>On shutdown, how long prompts already in the decode batch may take to finish and be published.</summary>
    public int DrainTimeoutSeconds { get; set; } = 20;

    /// <summary>Pass the registered <see cref="AlignStream.Engine.Sampling.ILogitsProcessor"/> (ARM-guided decoding) to the sampler. Off by default.</summary>
    public bool UseLogitsProcessor { get; set; }

    /// <summary>The effective replica name.</summary>
    public string EffectiveGeneratorId =>
        string.IsNullOrWhiteSpace(GeneratorId) ? $"generator-{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant() : GeneratorId;

    /// <summary>The effective step token budget.</summary>
    public int EffectiveMaxStepTokens => MaxStepTokens > 0 ? MaxStepTokens : Slots + (2 * MaxPromptTokens);

    /// <summary>The sampling of <paramref name="task"/>: its entry over the defaults; null when unknown and <see cref="UnknownTask"/> is Reject.</summary>
    public ResolvedSampling? SamplingFor(string task, IReadOnlyList<int> stopTokens)
    {
        if (Tasks.TryGetValue(task, out var entry))
        {
            return entry.Resolve(Defaults, stopTokens);
        }
        return UnknownTask == UnknownTaskPolicy.Default ? new TaskSampling().Resolve(Defaults, stopTokens) : null;
    }

    /// <summary>The largest MaxNewTokens over the defaults and every task (sizes the KV cache).</summary>
    public int LongestResponse() =>
        Tasks.Values.Select(t => t.Resolve(Defaults, []).Sampling.MaxNewTokens).Append(new TaskSampling().Resolve(Defaults, []).Sampling.MaxNewTokens).Max();

    /// <summary>Every problem as (key under the section, message with the fix); empty when valid.</summary>
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (MaxPromptTokens is < 1 or > 1_000_000)
        {
            yield return (nameof(MaxPromptTokens), $"must be at least 1 (got {MaxPromptTokens})");
        }
        if (Slots is < 1 or > 4096)
        {
            yield return (nameof(Slots), $"must be within 1..4096 (got {Slots})");
        }
        if (MaxStepTokens != 0 && MaxStepTokens < Slots + MaxPromptTokens)
        {
            yield return (nameof(MaxStepTokens), $"must be 0 (automatic) or at least Slots + MaxPromptTokens = {Slots + MaxPromptTokens}, so a whole prompt always fits next to the running sequences (got {MaxStepTokens})");
        }
        if (BatchSize is < 1 or > 100_000)
        {
            yield return (nameof(BatchSize), $"must be within 1..100000 (got {BatchSize})");
        }
        if (BatchWaitMs is < 0 or > 60_000)
        {
            yield return (nameof(BatchWaitMs), $"must be within 0..60000 (got {BatchWaitMs})");
        }
        if (ConsumerLoops is < 1 or > 16)
        {
            yield return (nameof(ConsumerLoops), $"must be within 1..16 (got {ConsumerLoops})");
        }
        if (Threads is < 1 or > 256)
        {
            yield return (nameof(Threads), $"must be within 1..256 (got {Threads})");
        }
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            yield return (nameof(GroupId), "is empty: set the consumer group shared by the generator replicas");
        }
        if (MaxTrainerBacklog < 1)
        {
            yield return (nameof(MaxTrainerBacklog), $"must be at least 1 pair (got {MaxTrainerBacklog})");
        }
        if (BackpressurePollMs is < 1 or > 60_000)
        {
            yield return (nameof(BackpressurePollMs), $"must be within 1..60000 (got {BackpressurePollMs})");
        }
        if (DuplicateWindowMinutes < 1)
        {
            yield return (nameof(DuplicateWindowMinutes), $"must be at least 1 (got {DuplicateWindowMinutes})");
        }
        if (HeartbeatSeconds is < 1 or > 3600)
        {
            yield return (nameof(HeartbeatSeconds), $"must be within 1..3600 (got {HeartbeatSeconds})");
        }
        if (WeightsPollSeconds is < 1 or > 3600)
        {
            yield return (nameof(WeightsPollSeconds), $"must be within 1..3600 (got {WeightsPollSeconds})");
        }
        if (DrainTimeoutSeconds is < 0 or > 3600)
        {
            yield return (nameof(DrainTimeoutSeconds), $"must be within 0..3600 (got {DrainTimeoutSeconds})");
        }
        foreach (var problem in Defaults.Validate("Defaults:"))
        {
            yield return problem;
        }
        foreach (var (name, task) in Tasks)
        {
            foreach (var problem in task.Validate($"Tasks:{name}:"))
            {
                yield return problem;
            }
        }
    }
}
