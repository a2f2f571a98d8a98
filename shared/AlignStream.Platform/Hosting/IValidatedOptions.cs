namespace AlignStream.Platform.Hosting;

/// <summary>
/// Options that check rules DataAnnotations cannot express (cross-field, URIs, enums given as text).
/// Each problem is returned as (member name, message), e.g. ("Uri", "must be an amqp:// URI").
/// </summary>
public interface IValidatedOptions
{
    /// <summary>Yields one (member, message) per problem; nothing when valid.</summary>
    IEnumerable<(string Member, string Message)> Validate();
}
