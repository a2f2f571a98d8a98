namespace AlignStream.Alignment.Models;

/// <summary>One preference example for reward-model training: the chosen response should score above the rejected one.</summary>
public sealed record PreferenceText(string Prompt, string Chosen, string Rejected);
