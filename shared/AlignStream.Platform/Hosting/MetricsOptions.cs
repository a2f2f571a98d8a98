using System.ComponentModel.DataAnnotations;
using System.Net;

namespace AlignStream.Platform.Hosting;

/// <summary>Where the host serves /metrics, /healthz and /readyz. Section <c>Metrics</c>.</summary>
public sealed class MetricsOptions : IValidatedOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Metrics";

    /// <summary>TCP port; 0 asks the OS for a free one (print the actual URL after start).</summary>
    [Range(0, 65535, ErrorMessage = "must be between 0 and 65535")]
    public int Port { get; set; } = 9464;

    /// <summary>Address to bind: an IP address, "localhost", or "*" for every interface. Default loopback.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <inheritdoc />
    public IEnumerable<(string Member, string Message)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return (nameof(Host), "must be an IP address, \"localhost\" or \"*\"");
        }
        else if (Host is not ("localhost" or "*") && !IPAddress.TryParse(Host, out _))
        {
            yield return (nameof(Host), "must be an IP address, \"localhost\" or \"*\"");
        }
    }
}
