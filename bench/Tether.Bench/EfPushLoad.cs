using Tether.Bench.EfApp;

namespace Tether.Bench;

/// <summary>The figures of one run of the app's own endpoint: SaveChanges answered per second.</summary>
internal sealed record SaveFigures(int Clients, long Saves, double Seconds)
{
    public double SavesPerSecond => Saves / Seconds;
}

/// <summary>
/// The bench app (<see cref="BenchAppServer"/>) on a fresh database: N clients each push one <c>createIssue</c> per
/// HTTP request, or post one issue to the app's own endpoint, waiting for the answer before the next. After the run
/// the store is checked: the log holds one action per answered write (none when the capture is off), and the app's
/// table one row per write when it is the store or the endpoint's target. Each server is fresh, so each run first
/// writes for <see cref="WarmUp"/> with the same clients, uncounted: a fresh server's first writes compile its
/// queries and statements (EF Core's on the EF-backed store), and the figure is the rate after that.
/// </summary>
internal static class EfPushLoad
{
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>Durable pushes of <c>createIssue</c> on <paramref name="store"/>.</summary>
    public static async Task<PushFigures> PushesAsync(string directory, string? postgres, BenchStore store, int clients, TimeSpan duration)
    {
        await using BenchDatabase database = await BenchDatabase.CreateAsync(directory, postgres);
        await using BenchAppServer server = await BenchAppServer.StartAsync(store, database);
        using var commits = new BenchMeters();
        using var https = new LoadClients([server.Address], clients);
        string run = Guid.NewGuid().ToString("N")[..8];
        (long warm, _) = await https.RunAsync(clients, WarmUp, (http, c, id) =>
            BenchRequests.PushIssueAsync(http, $"warm-{run}-{c}", id, BenchRequests.Issue($"w-{run}-{c}-{id}", id)));

        long before = commits.Commits;
        (long pushes, double seconds) = await https.RunAsync(clients, duration, (http, c, id) =>
            BenchRequests.PushIssueAsync(http, $"client-{run}-{c}", id, BenchRequests.Issue($"i-{run}-{c}-{id}", id)));
        var figures = new PushFigures(clients, pushes, seconds, commits.Commits - before);
        await CheckAsync(server, store, writes: warm + pushes, actions: warm + pushes);
        return figures;
    }

    /// <summary>Inserts through the app's own <c>POST /api/issues</c> (SaveChanges in the request's context) on
    /// <paramref name="store"/>, an EF-backed one with or without the capture.</summary>
    public static async Task<SaveFigures> SavesAsync(string directory, string? postgres, BenchStore store, int clients, TimeSpan duration)
    {
        if (store == BenchStore.BuiltIn)
        {
            throw new ArgumentException("The app's endpoint writes the app's table: an EF-backed store.", nameof(store));
        }
        await using BenchDatabase database = await BenchDatabase.CreateAsync(directory, postgres);
        await using BenchAppServer server = await BenchAppServer.StartAsync(store, database);
        using var https = new LoadClients([server.Address], clients);
        string run = Guid.NewGuid().ToString("N")[..8];
        (long warm, _) = await https.RunAsync(clients, WarmUp, (http, c, id) =>
            BenchRequests.PostIssueAsync(http, BenchRequests.Issue($"w-{run}-{c}-{id}", id)));

        (long saves, double seconds) = await https.RunAsync(clients, duration, (http, c, id) =>
            BenchRequests.PostIssueAsync(http, BenchRequests.Issue($"i-{run}-{c}-{id}", id)));
        var figures = new SaveFigures(clients, saves, seconds);
        await CheckAsync(server, store, writes: warm + saves, actions: store == BenchStore.EntityFramework ? warm + saves : 0);
        return figures;
    }

    private static async Task CheckAsync(BenchAppServer server, BenchStore store, long writes, long actions)
    {
        long head = await server.HeadAsync();
        if (head != actions)
        {
            throw new InvalidOperationException($"{BenchAppServer.Label(store)}: the log's head is {head} after {writes} writes, not {actions}.");
        }
        if (store != BenchStore.BuiltIn && await server.AppRowsAsync() is var rows && rows != writes)
        {
            throw new InvalidOperationException($"{BenchAppServer.Label(store)}: the app's table has {rows} rows after {writes} writes.");
        }
    }
}
