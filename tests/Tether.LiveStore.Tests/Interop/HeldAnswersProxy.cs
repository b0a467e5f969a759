using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tether.LiveStore.Tests.Interop;

/// <summary>
/// A TCP proxy in front of a server's WebSocket endpoint that passes each connection's opening HTTP answer (the 101)
/// and the server's Pongs, and holds every other frame the server sends until <see cref="Release"/>, while the
/// client's side flows freely: the client's requests reach the server and its connection stays alive, but no answer
/// to a request arrives.
/// </summary>
internal sealed class HeldAnswersProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private readonly Task _accepting;
    private bool _released;

    public HeldAnswersProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Sends what was held, in order, and holds nothing from now on.</summary>
    public async Task ReleaseAsync()
    {
        Connection[] connections;
        lock (_connections)
        {
            _released = true;
            connections = [.. _connections];
        }
        foreach (Connection connection in connections)
        {
            await connection.FlushHeldAsync(_stop.Token);
        }
    }

    private bool Released
    {
        get
        {
            lock (_connections)
            {
                return _released;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                var connection = new Connection(client, server);
                lock (_connections)
                {
                    _connections.Add(connection);
                }
                _ = PumpClientAsync(connection);
                _ = PumpServerAsync(connection);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task PumpClientAsync(Connection connection)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await connection.Client.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
            {
                await connection.Server.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        connection.Close();
    }

    private async Task PumpServerAsync(Connection connection)
    {
        NetworkStream from = connection.Server.GetStream();
        try
        {
            // The HTTP answer's head, up to its blank line.
            var head = new List<byte>();
            while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
            {
                head.Add(await ReadByteAsync(from));
            }
            await connection.SendAsync([.. head], _stop.Token);
            // Then one WebSocket frame at a time (the server's are not masked).
            while (true)
            {
                byte[] start = await ReadExactlyAsync(from, 2);
                int length7 = start[1] & 0x7F;
                byte[] extended = length7 switch
                {
                    126 => await ReadExactlyAsync(from, 2),
                    127 => await ReadExactlyAsync(from, 8),
                    _ => [],
                };
                long length = extended.Length == 0 ? length7 : extended.Aggregate(0L, (value, b) => (value << 8) | b);
                byte[] payload = await ReadExactlyAsync(from, checked((int)length));
                byte[] frame = [.. start, .. extended, .. payload];
                bool pong = Encoding.UTF8.GetString(payload).Contains("\"_tag\":\"Pong\"", StringComparison.Ordinal);
                if (pong || Released)
                {
                    await connection.FlushHeldAsync(_stop.Token);
                    await connection.SendAsync(frame, _stop.Token);
                }
                else
                {
                    connection.Hold(frame);
                    if (Released)
                    {
                        await connection.FlushHeldAsync(_stop.Token);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
        connection.Close();
    }

    private async Task<byte> ReadByteAsync(NetworkStream stream) => (await ReadExactlyAsync(stream, 1))[0];

    private async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var bytes = new byte[count];
        await stream.ReadExactlyAsync(bytes, _stop.Token);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_connections)
        {
            foreach (Connection connection in _connections)
            {
                connection.Close();
            }
        }
        _stop.Dispose();
    }

    /// <summary>One client's connection and the server's frames held back from it.</summary>
    private sealed class Connection(TcpClient client, TcpClient server)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly List<byte[]> _held = [];

        public TcpClient Client { get; } = client;
        public TcpClient Server { get; } = server;

        public void Hold(byte[] frame)
        {
            lock (_held)
            {
                _held.Add(frame);
            }
        }

        public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await Client.GetStream().WriteAsync(bytes, cancellationToken);
            }
            finally
            {
                _sending.Release();
            }
        }

        public async Task FlushHeldAsync(CancellationToken cancellationToken)
        {
            await _sending.WaitAsync(cancellationToken);
            try
            {
                byte[][] frames;
                lock (_held)
                {
                    frames = [.. _held];
                    _held.Clear();
                }
                foreach (byte[] frame in frames)
                {
                    await Client.GetStream().WriteAsync(frame, cancellationToken);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away.
            }
            finally
            {
                _sending.Release();
            }
        }

        public void Close()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
