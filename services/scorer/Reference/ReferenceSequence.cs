namespace AlignStream.Scorer.Reference;

/// <summary>One prompt + response to run through the reference model; the prompt must have at least one token.</summary>
/// <param name="PromptTokens">Prompt ids [P], P ≥ 1.</param>
/// <param name="ResponseTokens">Response ids [L] as the generator emitted them (EOS included when it stopped).</param>
public sealed record ReferenceSequence(int[] PromptTokens, int[] ResponseTokens)
{
    /// <summary>P + L.</summary>
    public int Length => PromptTokens.Length + ResponseTokens.Length;
}
