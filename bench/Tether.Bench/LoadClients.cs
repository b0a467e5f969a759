using System.Diagnostics;
using System.Net.Http.Headers;

namespace Tether.Bench;

/// <summary>HTTP clients for a load run, spread over the nodes round-robin (each node has its own connection pool,
/// one connection per client), all with the bench user's development token.</summary>
internal sealed class LoadClients : IDisposable
{
    private readonly SocketsHttpHandler[] _handlers;
    private readonly HttpClient[] _https;

    public LoadClients(IReadOnlyList<Uri> nodes, int clients)
    {
        _handlers = [.. nodes.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = clients + 1 })];
        _https = [.. nodes.Select((node, i) =>
        {
            var http = new HttpClient(_handlers[i]) { BaseAddress = node };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
            return http;
        })];
    }

    /// <summary>The HTTP client of client <paramref name="client"/>.</summary>
    public HttpClient For(int client) => _https[client % _https.Length];

    /// <summary>Each of <paramref name="clients"/> clients calls <paramref name="send"/> (its HTTP client, its index,
    /// and its request number from 1), waiting for each before the next, until <paramref name="duration"/> is up.
    /// Returns the requests completed and the seconds they took.</summary>
    public async Task<(long Requests, double Seconds)> RunAsync(int clients, TimeSpan duration, Func<HttpClient, int, long, Task> send)
    {
        var clock = Stopwatch.StartNew();
        long[] sent = new long[clients];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            HttpClient http = For(c);
            long id = 1;
            while (clock.Elapsed < duration)
            {
                await send(http, c, id);
                id++;
            }
            sent[c] = id - 1;
        }));
        return (sent.Sum(), clock.Elapsed.TotalSeconds);
    }

    public void Dispose()
    {
        foreach (HttpClient http in _https)
        {
            http.Dispose();
        }
        foreach (SocketsHttpHandler handler in _handlers)
        {
            handler.Dispose();
        }
    }
}
