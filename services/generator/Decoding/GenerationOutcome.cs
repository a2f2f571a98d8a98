using AlignStream.Engine.Inference;

namespace AlignStream.Generator.Decoding;

/// <summary>One sampled continuation.</summary>
/// <param name="Tokens">Generated token ids (a stop token, when hit, is the last one).</param>
/// <param name="LogProbs">Behavior log-prob of each token under the raw (temperature 1) policy distribution.</param>
/// <param name="StopReason">Why it stopped.</param>
/// <param name="Seed">The seed of its RNG.</param>
/// <param name="VersionStart">Policy version of the step that produced its first token's distribution.</param>
/// <param name="VersionEnd">Policy version of the step that produced its last token's distribution.</param>
public sealed record GeneratedCandidate(int[] Tokens, float[] LogProbs, StopReason StopReason, ulong Seed, long VersionStart, long VersionEnd);

/// <summary>Everything generated for one prompt.</summary>
/// <param name="Candidates">The candidates in index order.</param>
/// <param name="PromptEmbedding">Final-layer (normed) hidden state at the last prompt token [C], the bandit context.</param>
/// <param name="QueueTime">Time from submission to the first candidate's admission into the decode batch.</param>
/// <param name="GenerateTime">Time from that admission to the last candidate stopping.</param>
public sealed record GenerationOutcome(IReadOnlyList<GeneratedCandidate> Candidates, float[] PromptEmbedding, TimeSpan QueueTime, TimeSpan GenerateTime);
