namespace AlignStream.Alignment.Rewards;

/// <summary>One item to score: the prompt, the response text, and an optional task tag (e.g. "arith", "sentiment").</summary>
public sealed record RewardInput(string Prompt, string Response, string? Task = null);
