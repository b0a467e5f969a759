using System.Net;
using System.Net.Sockets;

namespace Tether.LiveStore.Tests.Interop;

/// <summary>
/// A TCP proxy in front of a server that passes each connection's opening HTTP answer (a WebSocket's 101) and then
/// holds everything else the server sends until <see cref="Release"/>, while the client's side flows freely: the
/// client's requests reach the server, their answers wait.
/// </summary>
internal sealed class HeldAnswersProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;

    public HeldAnswersProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Release() => _released.TrySetResult();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                lock (_connections)
                {
                    _connections.AddRange([client, server]);
                }
                _ = PumpAsync(client.GetStream(), server.GetStream(), hold: false);
                _ = PumpAsync(server.GetStream(), client.GetStream(), hold: true);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool hold)
    {
        var buffer = new byte[64 * 1024];
        // The last bytes of the answer's head seen so far: "\r\n\r\n" ends it.
        uint tail = 0;
        bool headPassed = !hold;
        try
        {
            while (true)
            {
                int read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    to.Socket.Shutdown(SocketShutdown.Send);
                    return;
                }
                // What may go at once: everything, or (held) the rest of the answer's head.
                int passNow = hold ? 0 : read;
                while (!headPassed && passNow < read)
                {
                    tail = (tail << 8) | buffer[passNow++];
                    headPassed = tail == 0x0D0A0D0A;
                }
                await to.WriteAsync(buffer.AsMemory(0, passNow), _stop.Token);
                if (passNow < read)
                {
                    await _released.Task.WaitAsync(_stop.Token);
                    await to.WriteAsync(buffer.AsMemory(passNow, read - passNow), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // One side went away: so does the other.
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_connections)
        {
            foreach (TcpClient connection in _connections)
            {
                connection.Dispose();
            }
        }
        _stop.Dispose();
    }
}
