using System.Diagnostics;
using System.Net.Http.Headers;

namespace Tether.Bench;

/// <summary>HTTP clients for a load run, spread over the nodes round-robin (each node has its own connection pool,
/// one connection per client), all with the bench user's development token, or with
/// <paramref name="userPerClient"/> each with a user of its own (<see cref="Users"/>), as clients of different
/// people are: the writer runs at most one commit per user at a time.</summary>
internal sealed class LoadClients : IDisposable
{
    public const string BenchUser = "bench";

    private readonly SocketsHttpHandler[] _handlers;
    private readonly HttpClient[] _https;

    public LoadClients(IReadOnlyList<Uri> nodes, int clients, bool userPerClient = false)
    {
        _handlers = [.. nodes.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = clients + 1 })];
        Users = userPerClient ? [.. Enumerable.Range(0, clients).Select(c => $"{BenchUser}-{c}")] : [BenchUser];
        _https = [.. Enumerable.Range(0, Users.Count == 1 ? nodes.Count : clients).Select(c =>
        {
            var http = new HttpClient(_handlers[c % nodes.Count], disposeHandler: false) { BaseAddress = nodes[c % nodes.Count] };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + Users[c % Users.Count]);
            return http;
        })];
    }

    /// <summary>The users of the clients; client <c>c</c> is user <c>c % Users.Count</c>.</summary>
    public IReadOnlyList<string> Users { get; }

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
