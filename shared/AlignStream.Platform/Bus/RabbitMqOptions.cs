using AlignStream.Platform.Hosting;

namespace AlignStream.Platform.Bus;

/// <summary>RabbitMQ broker address for <c>Bus:Transport=RabbitMq</c>. Section <c>RabbitMq</c>.</summary>
public sealed class RabbitMqOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RabbitMq";

    /// <summary><c>amqp://user:pass@host:port/vhost</c> (vhost empty or <c>%2F</c> means "/"); <c>amqps://</c> for TLS.</summary>
    public string Uri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>The parts of <see cref="Uri"/>; call only after validation.</summary>
    public RabbitMqAddress Parse()
    {
        var uri = new Uri(Uri);
        var tls = uri.Scheme == "amqps";
        var port = uri.IsDefaultPort || uri.Port < 0 ? (tls ? 5671 : 5672) : uri.Port;
        var vhost = System.Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var user = "guest";
        var password = "guest";
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = System.Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? System.Uri.UnescapeDataString(parts[1]) : "";
        }

        return new RabbitMqAddress(uri.Host, (ushort)port, vhost.Length == 0 ? "/" : vhost, user, password, tls);
    }

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || uri.Host.Length == 0)
        {
            yield return (nameof(Uri), "must look like amqp://user:pass@host:5672/vhost");
        }
    }
}

/// <summary>A parsed RabbitMQ address.</summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string User, string Password, bool Tls);
