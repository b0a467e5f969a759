using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Bench;

/// <summary>The figures of one latency run (milliseconds). Live: from the moment a push is sent to the moment its
/// action's <c>sync</c> frame has arrived on a live client of the other node; push: from sent to answered.</summary>
internal sealed record LatencyFigures(
    double Rate, int Pushes, int Measured, int Missing, double PushP50, double PushP99, double LiveP50, double LiveP99, double LiveMax,
    int SequencerRounds, double SequencerP50, double SequencerP99);

/// <summary>
/// Pushers send <c>createIssue</c> at a steady rate, spread over two nodes on one PostgreSQL database, each on its
/// own schedule (open loop: a late answer does not delay the sends that follow, up to one push in flight per
/// pusher); one live client per node, as the bench user (a member of the issues' team), reads <c>/sync/live</c>.
/// Each issue (a random id, as the sample's clients make) is timed only by the live client of the other node than the
/// one it was pushed to: what it spans is the push's HTTP request, the writer's commit, the sequencer reading it from
/// the write-ahead log and giving it its syncId, the other node's wake-up and read of the log, and the frame to the
/// client.
/// </summary>
internal static class LiveLatency
{
    private const int Pushers = 64;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public static async Task<LatencyFigures> RunAsync(string connectionString, string directory, int writers, double rate, TimeSpan duration)
    {
        using var meters = new BenchMeters();
        var servers = new List<LoopbackServer>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                servers.Add(await LoopbackServer.StartAsync(Path.Combine(directory, $"unused-{i}.db"), connectionString, postgresWriters: writers));
            }
            Uri[] nodes = [.. servers.Select(s => s.Address)];
            using var https = new LoadClients(nodes, Pushers);
            string run = Guid.NewGuid().ToString("N")[..8];
            await PushLoad.SetUpAsync(https, run);

            var sent = new ConcurrentDictionary<string, (long At, int Node)>();
            var live = new ConcurrentBag<double>();
            using var stop = new CancellationTokenSource();
            await using LiveReader reader0 = await LiveReader.ConnectAsync(nodes[0]);
            await using LiveReader reader1 = await LiveReader.ConnectAsync(nodes[1]);
            // The reader of each node times the issues pushed to the other node.
            Task[] reading = [reader0.ReadAsync(0, sent, live, stop.Token), reader1.ReadAsync(1, sent, live, stop.Token)];

            var answered = new ConcurrentBag<double>();
            double interval = 1.0 / rate;
            long start = Stopwatch.GetTimestamp();
            Task recording = Task.Delay(WarmUp).ContinueWith(_ => meters.RecordSequencerDelays(), TaskScheduler.Default);
            int pushes = 0;
            await Task.WhenAll(Enumerable.Range(0, Pushers).Select(async p =>
            {
                HttpClient http = https.For(p);
                int node = p % nodes.Length;
                for (long k = 0; ; k++)
                {
                    TimeSpan due = TimeSpan.FromSeconds((k * Pushers + p) * interval);
                    if (due >= WarmUp + duration)
                    {
                        return;
                    }
                    TimeSpan wait = due - Stopwatch.GetElapsedTime(start);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                    string id = PushLoad.RandomId();
                    long sentAt = Stopwatch.GetTimestamp();
                    bool measured = due >= WarmUp;
                    if (measured)
                    {
                        sent[id] = (sentAt, node);
                    }
                    await PushLoad.PushAsync(http, $"latency-{run}-{p}", k + 1, "createIssue", PushLoad.Issue(run, id));
                    if (measured)
                    {
                        answered.Add(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
                        Interlocked.Increment(ref pushes);
                    }
                }
            }));
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds - WarmUp.TotalSeconds;
            await recording;

            // Every measured push was answered, so its action is in the log: wait for both readers to have it.
            var deadline = Stopwatch.StartNew();
            while (live.Count < pushes && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
            await stop.CancelAsync();
            await Task.WhenAll(reading);
            List<double> delays = meters.SequencerDelays();
            List<double> liveSorted = [.. live.Order()];
            List<double> answeredSorted = [.. answered.Order()];
            return new LatencyFigures(
                pushes / seconds, pushes, liveSorted.Count, pushes - liveSorted.Count,
                Percentile(answeredSorted, 0.50), Percentile(answeredSorted, 0.99),
                Percentile(liveSorted, 0.50), Percentile(liveSorted, 0.99), liveSorted.Count == 0 ? double.NaN : liveSorted[^1],
                delays.Count, Percentile(delays, 0.50), Percentile(delays, 0.99));
        }
        finally
        {
            foreach (LoopbackServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    internal static double Percentile(List<double> sorted, double p)
        => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The bench user's WebSocket to <c>/sync/live</c>, reading one JSON frame per message.</summary>
    private sealed class LiveReader : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();

        public static async Task<LiveReader> ConnectAsync(Uri node)
        {
            var reader = new LiveReader();
            reader._socket.Options.AddSubProtocol(ProtocolHeaders.WebSocketSubProtocol);
            reader._socket.Options.SetRequestHeader("Authorization", "Bearer dev:bench");
            await reader._socket.ConnectAsync(new Uri($"ws://{node.Authority}/sync/live"), CancellationToken.None);
            using JsonDocument handshake = await reader.ReceiveAsync(CancellationToken.None)
                ?? throw new InvalidOperationException($"{node} closed the live socket before its handshake.");
            if (handshake.RootElement.GetProperty("type").GetString() != "handshake")
            {
                throw new InvalidOperationException($"{node} answered {handshake.RootElement} instead of a handshake.");
            }
            return reader;
        }

        /// <summary>Until <paramref name="stop"/>, times the issues pushed to another node than
        /// <paramref name="node"/> (this reader's) against the moment their push was sent.</summary>
        public async Task ReadAsync(int node, ConcurrentDictionary<string, (long At, int Node)> sent, ConcurrentBag<double> live, CancellationToken stop)
        {
            try
            {
                while (true)
                {
                    using JsonDocument? frame = await ReceiveAsync(stop);
                    if (frame is null)
                    {
                        throw new InvalidOperationException("The server closed a live socket during the run.");
                    }
                    long arrived = Stopwatch.GetTimestamp();
                    if (!frame.RootElement.TryGetProperty("sync", out JsonElement actions))
                    {
                        continue;
                    }
                    foreach (JsonElement action in actions.EnumerateArray())
                    {
                        string? id = action.GetProperty("modelId").GetString();
                        if (id is not null && sent.TryGetValue(id, out (long At, int Node) push) && push.Node != node)
                        {
                            live.Add(Stopwatch.GetElapsedTime(push.At, arrived).TotalMilliseconds);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }
        }

        private async Task<JsonDocument?> ReceiveAsync(CancellationToken cancellationToken)
        {
            using var message = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return JsonDocument.Parse(message.ToArray());
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cancel.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    // The server may already be gone; the socket is disposed either way.
                }
            }
            _socket.Dispose();
        }
    }
}
