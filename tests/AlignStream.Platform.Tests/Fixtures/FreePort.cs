using System.Net;
using System.Net.Sockets;

namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>Free loopback TCP ports chosen by the OS.</summary>
public static class FreePort
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago (the OS hands out ephemeral ports round-robin, so reuse is unlikely).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>True once something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> IsOpenAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
