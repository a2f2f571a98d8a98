using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignStream.Platform.Hosting;

/// <summary>Binding of typed options to a configuration section, validated when the host starts.</summary>
public static class OptionsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="sectionName"/> (keys such as <c>Metrics:Port</c>),
    /// validates it with DataAnnotations and <see cref="IValidatedOptions"/> at start (ValidateOnStart), and
    /// words failures as <c>Section:Member: message (got value)</c>. Idempotent per type.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string sectionName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionName);
        var builder = services.AddOptions<T>().BindConfiguration(sectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>>(new SectionOptionsValidator<T>(sectionName)));
        return builder;
    }
}
