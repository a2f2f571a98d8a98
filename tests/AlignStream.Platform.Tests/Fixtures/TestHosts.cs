using AlignStream.Platform.Hosting;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>Builds real AlignStream web hosts for tests: service defaults, loopback, an ephemeral metrics port.</summary>
public static class TestHosts
{
    /// <summary>A builder with service defaults, quiet logging and <c>Metrics:Port=0</c> unless <paramref name="args"/> sets it.</summary>
    public static WebApplicationBuilder CreateBuilder(params string[] args)
    {
        var all = args.Any(a => a.StartsWith("--Metrics:Port", StringComparison.Ordinal)) ? args : [.. args, "--Metrics:Port=0"];
        var builder = AlignHost.CreateBuilder(all);
        builder.Logging.ClearProviders();
        return builder;
    }

    /// <summary>Builds, maps the default endpoints, and starts the host; the caller disposes it.</summary>
    public static async Task<WebApplication> StartAsync(WebApplicationBuilder builder, Action<WebApplication>? map = null)
    {
        var app = builder.Build();
        app.MapAlignDefaultEndpoints();
        map?.Invoke(app);
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }
}
