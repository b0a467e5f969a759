using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>The app's own writes on a running test server, as a request would make them (a scope and a context of
/// its own), and what reached the log.</summary>
internal static class AppWrites
{
    /// <summary>How long a test waits for a write that the capture could leave blocked for ever.</summary>
    public static readonly TimeSpan BlockedWriteTimeout = TimeSpan.FromSeconds(30);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs <paramref name="work"/> on the app's context of a new request scope.</summary>
    public static async Task WithDbAsync(TestServer server, Func<BoardDb, Task> work)
    {
        await using AsyncServiceScope scope = server.Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<BoardDb>());
    }

    /// <summary>Runs <paramref name="work"/> on the app's context of a new request scope and returns its result.</summary>
    public static async Task<T> WithDbAsync<T>(TestServer server, Func<BoardDb, Task<T>> work)
    {
        await using AsyncServiceScope scope = server.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<BoardDb>());
    }

    /// <summary>The whole log, as the store reads it.</summary>
    public static async Task<IReadOnlyList<LogEntry>> LogAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        return await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
    }

    /// <summary>The committed head.</summary>
    public static async Task<long> HeadAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        return snapshot.Head;
    }

    /// <summary>Every group change of the log, as the store reads it.</summary>
    public static async Task<IReadOnlyList<GroupChange>> GroupChangesAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        return await snapshot.ReadGroupChangesAsync(0, snapshot.Head, Ct);
    }

    /// <summary>Checks that the log's syncIds are 1, 2, 3, … up to the head: no hole, none twice, in order.</summary>
    public static void AssertGapFree(IReadOnlyList<LogEntry> log, long head)
        => Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i), log.Select(e => e.SyncId));

    /// <summary>The log's actions as (action, model, id), in order.</summary>
    public static (string Action, string Model, string Id)[] Actions(IEnumerable<LogEntry> log)
        => [.. log.Select(e => (e.Action, e.ModelName, e.ModelId))];

    /// <summary>A board of <paramref name="teamId"/>, saved by the app.</summary>
    public static async Task<Board> BoardAsync(TestServer server, string teamId)
    {
        var board = new Board { Id = Guid.NewGuid(), TeamId = teamId, Name = "Board of " + teamId };
        await WithDbAsync(server, db =>
        {
            db.Boards.Add(board);
            return db.SaveChangesAsync(Ct);
        });
        return board;
    }

    public static Card Card(string id, Board board, string title = "A card", string? assignee = null, int points = 0)
        => new() { Id = id, BoardId = board.Id, TeamId = board.TeamId, Title = title, Assignee = assignee, Points = points };

    /// <summary>A mutation pushed by a client that must be applied, with a bound on how long it may wait for the
    /// writer (a capture that keeps the writer's turn would make it wait for ever).</summary>
    public static Task<long> PushAsync(SyncApi api, string clientId, long mutationId, string name, object args)
        => api.ApplyAsync(clientId, mutationId, name, args).WaitAsync(BlockedWriteTimeout, Ct);
}
