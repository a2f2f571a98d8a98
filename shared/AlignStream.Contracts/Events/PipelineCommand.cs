namespace AlignStream.Contracts.Events;

public enum PipelineAction
{
    Pause,
    Resume,
    Drain,
}

/// <summary>Operator command to every stage.</summary>
public sealed record PipelineCommand(PipelineAction Action, string? Reason);
