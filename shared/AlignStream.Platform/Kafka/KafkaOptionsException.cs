namespace AlignStream.Platform.Kafka;

/// <summary>Invalid <see cref="KafkaOptions"/>; the message lists each field with its fix.</summary>
public sealed class KafkaOptionsException : Exception
{
    /// <summary>Creates the exception from the validation messages.</summary>
    public KafkaOptionsException(IReadOnlyList<string> errors)
        : base("invalid Kafka configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    /// <summary>One message per problem.</summary>
    public IReadOnlyList<string> Errors { get; }
}
