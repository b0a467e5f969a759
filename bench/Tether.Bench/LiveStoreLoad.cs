using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Tether.Bench;

internal sealed record LiveStoreFigures(double EchoRoundTripsPerSecond, double PushesPerSecond, double EventsPushedPerSecond, double EventsDeliveredPerSecond, int Subscribers);

/// <summary>
/// One LiveStore writer pushes batches of events (waiting for each ack, as the real client does) while N live pulls
/// of the same store receive them; the floor is a bare WebSocket echo round trip on the same server.
/// </summary>
internal static class LiveStoreLoad
{
    private const int BatchSize = 50;

    public static async Task<LiveStoreFigures> RunAsync(string directory, int subscribers, TimeSpan duration)
    {
        await using LoopbackServer server = await LoopbackServer.StartAsync(Path.Combine(directory, $"livestore-{subscribers}.db"));
        double echo = await EchoRoundTripsPerSecondAsync(server, duration);
        string storeId = "bench-" + subscribers;
        long delivered = 0;
        using var stop = new CancellationTokenSource();
        var readers = new List<Task>();
        for (int i = 0; i < subscribers; i++)
        {
            ClientWebSocket socket = await ConnectAsync(server, storeId);
            await SendAsync(socket, Request("0", "SyncWsRpc.Pull", new { storeId, live = true, cursor = new { _tag = "None" } }));
            // Every subscriber has its first (empty) chunk before the clock starts.
            await ReceiveAsync(socket, CancellationToken.None);
            readers.Add(Task.Run(async () =>
            {
                using (socket)
                {
                    while (!stop.IsCancellationRequested)
                    {
                        string? frame = await ReceiveAsync(socket, stop.Token);
                        if (frame is null)
                        {
                            return;
                        }
                        Interlocked.Add(ref delivered, CountEvents(frame));
                    }
                }
            }));
        }

        using ClientWebSocket writer = await ConnectAsync(server, storeId);
        long pushes = 0;
        long head = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var batch = Enumerable.Range(1, BatchSize).Select(i => new
            {
                name = "v1.TodoCreated",
                args = new { id = $"todo-{head + i}", text = "An event of about one hundred bytes, like a short todo." },
                seqNum = head + i,
                parentSeqNum = head + i - 1,
                clientId = "bench",
                sessionId = "static",
            }).ToArray();
            await SendAsync(writer, Request((pushes + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "SyncWsRpc.Push", new { storeId, batch, backendId = new { _tag = "None" } }));
            string ack = (await ReceiveAsync(writer, CancellationToken.None))!;
            if (!ack.Contains("\"Success\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("A push was refused: " + ack);
            }
            head += BatchSize;
            pushes++;
        }
        double pushSeconds = clock.Elapsed.TotalSeconds;
        long expected = head * subscribers;
        // Delivery is measured until every subscriber has every event (or 30 s).
        while (Interlocked.Read(ref delivered) < expected && clock.Elapsed < duration + TimeSpan.FromSeconds(30))
        {
            await Task.Delay(5);
        }
        double deliverSeconds = clock.Elapsed.TotalSeconds;
        long deliveredEvents = Interlocked.Read(ref delivered);
        await stop.CancelAsync();
        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        if (deliveredEvents < expected)
        {
            throw new InvalidOperationException($"Only {deliveredEvents} of {expected} events reached the subscribers.");
        }
        return new LiveStoreFigures(echo, pushes / pushSeconds, head / pushSeconds, deliveredEvents / deliverSeconds, subscribers);
    }

    private static async Task<double> EchoRoundTripsPerSecondAsync(LoopbackServer server, TimeSpan duration)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.Address.Authority}/echo"), CancellationToken.None);
        byte[] message = Encoding.UTF8.GetBytes(new string('x', 200));
        long roundTrips = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
            await ReceiveAsync(socket, CancellationToken.None);
            roundTrips++;
        }
        return roundTrips / clock.Elapsed.TotalSeconds;
    }

    private static async Task<ClientWebSocket> ConnectAsync(LoopbackServer server, string storeId)
    {
        string payload = Uri.EscapeDataString(Uri.EscapeDataString("{\"authToken\":\"dev:bench\"}"));
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.Address.Authority}/livestore?storeId={storeId}&payload={payload}&transport=ws"), CancellationToken.None);
        return socket;
    }

    private static object Request(string id, string tag, object payload) => new { _tag = "Request", id, tag, payload, headers = Array.Empty<object>() };

    private static Task SendAsync(ClientWebSocket socket, object message)
        => socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<string?> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    private static int CountEvents(string frame)
    {
        using JsonDocument document = JsonDocument.Parse(frame);
        JsonElement root = document.RootElement;
        if (root.GetProperty("_tag").GetString() != "Chunk")
        {
            return 0;
        }
        return root.GetProperty("values").EnumerateArray().Sum(v => v.GetProperty("batch").GetArrayLength());
    }
}
