using System.Net;
using System.Net.Sockets;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A TCP load balancer on 127.0.0.1 in front of server nodes: new connections go to the current target; when a node
/// dies its connections are cut (as a dead machine's would be) and the balancer sends new ones to another node.
/// </summary>
public sealed class LoadBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _pairs = [];
    private readonly Task _accepting;
    private int _targetPort;

    public LoadBalancer(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Sends new connections to <paramref name="port"/> and cuts every open one.</summary>
    public void FailOverTo(int port)
    {
        (TcpClient, TcpClient)[] open;
        lock (_lock)
        {
            _targetPort = port;
            open = [.. _pairs];
            _pairs.Clear();
        }
        foreach ((TcpClient client, TcpClient upstream) in open)
        {
            Cut(client);
            Cut(upstream);
        }
    }

    /// <summary>Resets the connection (RST, as when a machine dies) rather than closing it politely. The pair may be
    /// closing on its own at the same moment, hence the lock on each client.</summary>
    private static void Cut(TcpClient connection)
    {
        lock (connection)
        {
            if (connection.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            connection.Dispose();
        }
    }

    /// <summary>A normal end: what was already copied still reaches the other side.</summary>
    private static void Close(TcpClient connection)
    {
        lock (connection)
        {
            connection.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        int port;
        lock (_lock)
        {
            port = _targetPort;
        }
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // Nothing listens there (the node is down): the client sees a refused connection and retries.
            client.Dispose();
            upstream.Dispose();
            return;
        }
        lock (_lock)
        {
            _pairs.Add((client, upstream));
        }
        try
        {
            Task up = Pump(client.GetStream(), upstream.GetStream());
            Task down = Pump(upstream.GetStream(), client.GetStream());
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // Cut by FailOverTo before the pumps started.
        }
        lock (_lock)
        {
            _pairs.Remove((client, upstream));
        }
        Close(client);
        Close(upstream);
    }

    private async Task Pump(NetworkStream from, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // One side went away; the pair is closed by the caller.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        FailOverTo(0);
    }
}
