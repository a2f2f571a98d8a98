namespace AlignStream.Generator.Options;

/// <summary>What the generator does with a prompt whose task has no <c>Generator:Tasks</c> entry.</summary>
public enum UnknownTaskPolicy
{
    /// <summary>Sample it with <c>Generator:Defaults</c>.</summary>
    Default,

    /// <summary>Send it to the dead-letter topic with the reason.</summary>
    Reject,
}
