using AlignStream.Engine.Sampling;
using AlignStream.Generator.Options;

namespace AlignStream.Generator.Decoding;

/// <summary>
/// One prompt handed to the decode loop: its tokens, how to sample, and one seed per candidate. Completes with
/// every candidate once the last of them stops.
/// </summary>
public sealed class GenerationRequest
{
    private readonly TaskCompletionSource<GenerationOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the request; the seeds fix every candidate's RNG.</summary>
    public GenerationRequest(string promptId, int[] promptTokens, ResolvedSampling sampling, IReadOnlyList<ulong> seeds)
    {
        ArgumentException.ThrowIfNullOrEmpty(promptId);
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentNullException.ThrowIfNull(seeds);
        if (promptTokens.Length == 0)
        {
            throw new ArgumentException($"prompt {promptId} has no tokens", nameof(promptTokens));
        }
        if (seeds.Count != sampling.Candidates)
        {
            throw new ArgumentException($"prompt {promptId}: {seeds.Count} seeds for {sampling.Candidates} candidates", nameof(seeds));
        }
        PromptId = promptId;
        PromptTokens = promptTokens;
        Sampling = sampling;
        Seeds = seeds;
    }

    /// <summary>The prompt id (for logs and errors).</summary>
    public string PromptId { get; }

    /// <summary>Prompt token ids, BOS included.</summary>
    public int[] PromptTokens { get; }

    /// <summary>Candidates and sampling options.</summary>
    public ResolvedSampling Sampling { get; }

    /// <summary>One seed per candidate.</summary>
    public IReadOnlyList<ulong> Seeds { get; }

    /// <summary>Completes when every candidate has stopped.</summary>
    public Task<GenerationOutcome> Completion => _completion.Task;

    /// <summary>The seeds of prompt <paramref name="promptId"/>: candidate i draws from DeriveSeed(DeriveSeed(seed, promptId), i).</summary>
    public static ulong[] SeedsFor(ulong seed, string promptId, int candidates)
    {
        var promptSeed = Xoshiro256.DeriveSeed(seed, promptId);
        var seeds = new ulong[candidates];
        for (var i = 0; i < candidates; i++)
        {
            seeds[i] = Xoshiro256.DeriveSeed(promptSeed, (ulong)i);
        }
        return seeds;
    }

    internal void Complete(GenerationOutcome outcome) => _completion.TrySetResult(outcome);

    internal void Fail(Exception error) => _completion.TrySetException(error);

    internal void Cancel() => _completion.TrySetCanceled();
}
