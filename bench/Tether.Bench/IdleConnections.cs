using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Tether.Bench;

internal sealed record IdleFigures(double ManagedKbOpen, double ManagedKbAfterTraffic, double WorkingSetKbAfterTraffic);

/// <summary>
/// Opens N idle connections of one kind against a server in a child process and reports the server's memory growth
/// per connection: its managed heap after a full compacting collection (<c>GC.GetTotalMemory(true)</c>), once all
/// are open and again after some traffic on each (a ping and its answer where the protocol has one, and a heartbeat),
/// and its working set after the traffic. The floors are a bare Kestrel WebSocket that awaits a receive and a bare
/// event stream, measured the same way in the same run.
/// </summary>
internal static class IdleConnections
{
    public static readonly string[] Kinds = ["floor-ws", "live", "floor-sse", "sse", "livestore"];

    /// <summary>The server's default: a shorter one would measure a server busy sending heartbeats, not idle.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task<IdleFigures> RunAsync(string kind, int count)
    {
        using IdleServerProcess server = await IdleServerProcess.StartAsync(Heartbeat);
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
        // Code paths, pools and the store are warm before the first measure.
        for (int i = 0; i < 20; i++)
        {
            (await OpenAsync(kind, server.Address, http, handler, i)).Dispose();
        }
        await Task.Delay(TimeSpan.FromSeconds(1));
        (long managedBefore, long workingSetBefore) = await server.MeasureAsync();

        var connections = new IDisposable[count];
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                connections[i] = await OpenAsync(kind, server.Address, http, handler, i);
            }
            finally
            {
                gate.Release();
            }
        }));
        (long managedOpen, _) = await server.MeasureAsync();

        foreach (IdleConnection connection in connections.OfType<IdleConnection>())
        {
            await connection.PingAsync();
        }
        // Every connection has sent a heartbeat by then.
        await Task.Delay(Heartbeat + TimeSpan.FromSeconds(1));
        (long managedAfter, long workingSetAfter) = await server.MeasureAsync();
        foreach (IDisposable connection in connections)
        {
            connection.Dispose();
        }
        return new IdleFigures(Kb(managedOpen - managedBefore, count), Kb(managedAfter - managedBefore, count), Kb(workingSetAfter - workingSetBefore, count));
    }

    private static double Kb(long bytes, int count) => bytes / 1024.0 / count;

    private static async Task<IDisposable> OpenAsync(string kind, Uri address, HttpClient http, SocketsHttpHandler handler, int i)
    {
        string user = "u" + (i % 100);
        switch (kind)
        {
            case "floor-ws":
                return await IdleConnection.OpenAsync(Ws(address, "/floor/ws"), handler, user, firstRequest: null, expectFirstFrame: false, ping: null);
            case "live":
                return await IdleConnection.OpenAsync(Ws(address, "/sync/live"), handler, user, firstRequest: null, expectFirstFrame: true, ping: """{"type":"ping"}""");
            case "livestore":
                string payload = Uri.EscapeDataString(Uri.EscapeDataString(JsonSerializer.Serialize(new { authToken = "dev:" + user })));
                string pull = """{"_tag":"Request","id":"0","tag":"SyncWsRpc.Pull","payload":{"storeId":"idle","live":true,"cursor":{"_tag":"None"}},"traceId":"t","spanId":"s","sampled":false,"headers":[]}""";
                return await IdleConnection.OpenAsync(Ws(address, "/livestore?storeId=idle&transport=ws&payload=" + payload), handler, user, pull, expectFirstFrame: true, ping: """{"_tag":"Ping"}""");
            case "floor-sse":
                return await EventStream.OpenAsync(http, "/floor/sse", user);
            case "sse":
                return await EventStream.OpenAsync(http, "/sync/events", user);
            default:
                throw new ArgumentException($"Unknown kind '{kind}'; one of {string.Join(", ", Kinds)}.");
        }
    }

    private static Uri Ws(Uri address, string pathAndQuery) => new($"ws://{address.Authority}{pathAndQuery}");

    /// <summary>A WebSocket that has had its first answer and then waits.</summary>
    private sealed class IdleConnection(ClientWebSocket socket, string? ping) : IDisposable
    {
        public static async Task<IdleConnection> OpenAsync(Uri url, SocketsHttpHandler handler, string user, string? firstRequest, bool expectFirstFrame, string? ping)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer dev:" + user);
            await socket.ConnectAsync(url, new HttpMessageInvoker(handler, disposeHandler: false), CancellationToken.None);
            if (firstRequest is not null)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(firstRequest), WebSocketMessageType.Text, true, CancellationToken.None);
            }
            if (expectFirstFrame)
            {
                await ReceiveAsync(socket);
            }
            return new IdleConnection(socket, ping);
        }

        public async Task PingAsync()
        {
            if (ping is null)
            {
                return;
            }
            await socket.SendAsync(Encoding.UTF8.GetBytes(ping), WebSocketMessageType.Text, true, CancellationToken.None);
            // The answer, or a heartbeat that came first: either way the server has read and written on the connection.
            await ReceiveAsync(socket);
        }

        private static async Task ReceiveAsync(ClientWebSocket socket)
        {
            byte[] buffer = new byte[4096];
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            }
            while (!received.EndOfMessage);
        }

        public void Dispose() => socket.Dispose();
    }

    /// <summary>An event stream that has had its first event and then waits.</summary>
    private sealed class EventStream(HttpResponseMessage response) : IDisposable
    {
        public static async Task<EventStream> OpenAsync(HttpClient http, string path, string user)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "dev:" + user);
            HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            Stream body = await response.Content.ReadAsStreamAsync();
            byte[] buffer = new byte[4096];
            var seen = new StringBuilder();
            while (!seen.ToString().Contains("\n\n", StringComparison.Ordinal))
            {
                int read = await body.ReadAsync(buffer);
                if (read == 0)
                {
                    throw new InvalidOperationException($"The stream of {path} ended before its first event.");
                }
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
            return new EventStream(response);
        }

        public void Dispose() => response.Dispose();
    }
}
