using AlignStream.Platform.Hosting;

namespace AlignStream.Cli.Demo;

/// <summary>
/// The demo task of `align up` (section <c>Demo</c>): which prompts are streamed, how many are kept in flight, and the
/// fixed held-out evaluation set sampled at every policy version.
/// </summary>
public sealed class DemoOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Demo";

    /// <summary>Stream the demo prompts and evaluate; off runs the bare pipeline for prompts pushed by other means.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>sentiment, arith or mixed.</summary>
    public string Task { get; set; } = "mixed";

    /// <summary>Seed of the prompt stream, the eval split and the eval sampling.</summary>
    public ulong Seed { get; set; } = 1234;

    /// <summary>Share of arithmetic chunks in the mixed stream.</summary>
    public double ArithShare { get; set; } = 0.5;

    /// <summary>Prompts per task-homogeneous chunk of the stream (the scorer batches by task, so chunks keep contexts apart).</summary>
    public int Chunk { get; set; } = 8;

    /// <summary>Most prompts pushed but not yet turned into candidate sets (keeps the data fresh: staleness grows with the queue).</summary>
    public int MaxInFlight { get; set; } = 24;

    /// <summary>Words of a held-out Brown sentence that open a sentiment prompt.</summary>
    public int PromptWords { get; set; } = 6;

    /// <summary>Held-out eval prompts per task.</summary>
    public int EvalPrompts { get; set; } = 100;

    /// <summary>Sampled completions per eval prompt (fixed seeds, the same at every version).</summary>
    public int EvalSamples { get; set; } = 2;

    /// <summary>
    /// Eval sampling temperature; 1 judges what the generators serve (they sample at 1), 0 judges greedy decoding
    /// (then one sample per prompt is taken).
    /// </summary>
    public float EvalTemperature { get; set; } = 1f;

    /// <summary>Tokens of a sentiment continuation (generation and eval).</summary>
    public int SentimentTokens { get; set; } = 40;

    /// <summary>Tokens of an arithmetic answer (generation and eval).</summary>
    public int ArithTokens { get; set; } = 8;

    /// <summary>Stop after this many new policy versions have been evaluated (0 = no limit).</summary>
    public int MaxVersions { get; set; }

    /// <summary>Seconds between two points of the throughput/loss time series.</summary>
    public double SeriesSeconds { get; set; } = 5;

    /// <summary>Bootstrap resamples of the final-minus-base interval.</summary>
    public int BootstrapResamples { get; set; } = 2000;

    /// <summary>The tasks streamed.</summary>
    public IReadOnlyList<string> Tasks => Task switch
    {
        "sentiment" => [DemoTasks.Sentiment],
        "arith" => [DemoTasks.Arith],
        _ => [DemoTasks.Sentiment, DemoTasks.Arith],
    };

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (Task is not ("sentiment" or "arith" or "mixed"))
        {
            yield return (nameof(Task), "must be sentiment, arith or mixed");
        }
        if (!(ArithShare is >= 0 and <= 1))
        {
            yield return (nameof(ArithShare), "must be within 0..1");
        }
        if (Chunk is < 1 or > 1024)
        {
            yield return (nameof(Chunk), "must be within 1..1024");
        }
        if (MaxInFlight < 1)
        {
            yield return (nameof(MaxInFlight), "must be at least 1");
        }
        if (PromptWords is < 1 or > 32)
        {
            yield return (nameof(PromptWords), "must be within 1..32");
        }
        if (EvalPrompts is < 2 or > 10_000)
        {
            yield return (nameof(EvalPrompts), "must be within 2..10000 (the interval needs at least 2)");
        }
        if (EvalSamples is < 1 or > 64)
        {
            yield return (nameof(EvalSamples), "must be within 1..64");
        }
        if (!float.IsFinite(EvalTemperature) || EvalTemperature < 0)
        {
            yield return (nameof(EvalTemperature), "must be 0 (greedy) or a positive finite temperature");
        }
        if (SentimentTokens is < 1 or > 1024)
        {
            yield return (nameof(SentimentTokens), "must be within 1..1024");
        }
        if (ArithTokens is < 1 or > 64)
        {
            yield return (nameof(ArithTokens), "must be within 1..64");
        }
        if (MaxVersions < 0)
        {
            yield return (nameof(MaxVersions), "must be 0 (no limit) or positive");
        }
        if (!(SeriesSeconds is >= 0.2 and <= 3600))
        {
            yield return (nameof(SeriesSeconds), "must be within 0.2..3600 seconds");
        }
        if (BootstrapResamples is < 100 or > 1_000_000)
        {
            yield return (nameof(BootstrapResamples), "must be within 100..1000000");
        }
    }
}
