namespace AlignStream.Alignment.Models;

/// <summary>
/// One ARM distillation example: the token sequence (BOS, prompt, response), where the response starts,
/// and the label every response prefix is pulled toward (the sequence-level teacher's score, §4.5 (a)).
/// </summary>
public sealed record ArmTrainingText(int[] Tokens, int ResponseStart, double Label);
