using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>Mutators writing the app's own tables through a real server: the rows, the log, what readers get, and a
/// row the database refuses.</summary>
public abstract class MutatorPathTests
{
    private const string BoardId = "0b7e4c1a-52d3-4f6e-8a9b-1c2d3e4f5a6b";

    protected abstract bool OnPostgres { get; }

    /// <param name="oneWriter">One write transaction at a time (PostgreSQL runs several): pushes that come while a
    /// mutator holds it queue for the same writer.</param>
    private Task<TestServer> StartAsync(Action<ITetherServerBuilder>? builder = null, bool oneWriter = false) => TestServer.StartAsync(new TestServerSettings
    {
        OnPostgres = OnPostgres,
        Tether = options => options.Limits.RequestsPerSecond = 0,
        Builder = builder,
        Configuration = oneWriter ? new Dictionary<string, string?> { ["writers"] = "1" } : new Dictionary<string, string?>(),
    });

    [Fact]
    public async Task Mutators_insert_update_and_delete_rows_of_the_apps_tables_and_the_log_carries_each_rows_json()
    {
        await using TestServer server = await StartAsync();
        using SyncApi alice = server.Api("alice");
        await SetUpTeamAsync(alice, "setup");

        await alice.ApplyAsync("a1", 1, "createCard", new { id = "c1", boardId = BoardId, teamId = "t1", title = "First", assignee = "bob", points = 3 });
        await alice.ApplyAsync("a1", 2, "createCard", new { id = "c2", boardId = BoardId, teamId = "t1", title = "Second" });
        await alice.ApplyAsync("a1", 3, "updateCard", new { id = "c1", patch = new { title = "First, again", points = 5 } });
        await alice.ApplyAsync("a1", 4, "deleteCard", new { id = "c2" });

        Assert.Equal(1, await ServerDatabase.CountAsync(server, "cards"));
        Assert.Equal("First, again", await ServerDatabase.ScalarAsync(server, "SELECT \"Title\" FROM cards WHERE \"Id\" = 'c1'"));
        Assert.Equal(5L, Convert.ToInt64(await ServerDatabase.ScalarAsync(server, "SELECT \"Points\" FROM cards WHERE \"Id\" = 'c1'")));

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        // The mutator passed other groups: for a model in the app's tables, its rules decide.
        Assert.Equal(["team:t1", "user:alice"], log.Single(e => e.ModelName == "member").SyncGroups);
        Assert.Equal(["team:t1", "user:bob"], log.Single(e => e.ModelName == "card" && e.Action == "update").SyncGroups);
        List<JsonElement> actions = await alice.AllActionsAsync();
        Assert.Equal(
            [("insert", "c1"), ("insert", "c2"), ("update", "c1"), ("delete", "c2")],
            actions.Where(a => a.ModelName() == "card").Select(a => (a.GetProperty("action").GetString(), a.ModelId())));
        JsonElement update = actions.Last(a => a.ModelName() == "card" && a.GetProperty("action").GetString() == "update");
        Assert.Equal(
            $$"""{"id":"c1","boardId":"{{BoardId}}","teamId":"t1","assignee":"bob","title":"First, again","points":5}""",
            update.GetProperty("data").GetRawText());

        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
        Assert.Equal(await alice.HeadAsync(), bootstrap.FirstSyncId);
        Assert.Equal(update.GetProperty("data").GetRawText(), bootstrap.Rows[("card", "c1")].GetRawText());
        Assert.Equal([("board", BoardId), ("card", "c1"), ("member", "t1:alice")], bootstrap.Rows.Keys.Order());
    }

    [Fact]
    public async Task A_live_reader_gets_the_rows_json_and_a_row_that_leaves_its_group_is_deleted_for_it()
    {
        await using TestServer server = await StartAsync();
        using SyncApi alice = server.Api("alice");
        long head = await SetUpTeamAsync(alice, "setup");
        await FanoutProbe.WaitForAsync(server, head);
        await using LiveClient bob = await LiveClient.ConnectAsync(server, "bob", "b1");
        long handshake = (await bob.ExpectAsync("handshake")).LastSyncId();

        long created = await alice.ApplyAsync("a1", 1, "createCard", new { id = "c1", boardId = BoardId, teamId = "t1", title = "For bob", assignee = "bob" });
        long moved = await alice.ApplyAsync("a1", 2, "updateCard", new { id = "c1", patch = new { assignee = "carol" } });

        List<JsonElement> frames = await bob.ReadUntilAsync(moved);
        Frames.AssertChained(handshake, frames);
        JsonElement[] seen = [.. frames.SelectMany(f => f.Actions())];
        Assert.Equal([(created, "insert"), (moved - 1, "delete")], seen.Select(a => (a.SyncId(), a.GetProperty("action").GetString())));
        Assert.Equal(
            $$"""{"id":"c1","boardId":"{{BoardId}}","teamId":"t1","assignee":"bob","title":"For bob","points":0}""",
            seen[0].GetProperty("data").GetRawText());
        Assert.Equal(["user:bob"], (await LogAsync(server)).Single(e => e.SyncId == moved - 1).SyncGroups);
    }

    [Fact]
    public async Task Pushes_that_waited_for_the_writer_write_their_rows_in_one_commit()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(tether => tether.AddMutators([gate]), oneWriter: true);
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        await SetUpTeamAsync(alice, "setup");
        double before = meters.Sum("tether.server.commits", "outcome", "committed");

        Task<JsonElement> held = alice.PushAsync("gate", M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;
        Task<long>[] pushes = [.. Enumerable.Range(0, 10).Select(i => alice.ApplyAsync($"w{i}", 1, "createCard", new { id = $"c{i}", boardId = BoardId, teamId = "t1", title = $"Card {i}" }))];
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 10, "the ten pushes wait for the writer");
        gate.Open();
        await held;
        long[] answered = await Task.WhenAll(pushes);

        Assert.Equal(before + 2, meters.Sum("tether.server.commits", "outcome", "committed"));
        // One transaction: its ten actions are ten syncIds in a row (each push is answered at or after its own).
        long[] syncIds = [.. (await alice.AllActionsAsync()).Where(a => a.ModelName() == "card").Select(a => a.GetProperty("syncId").GetInt64())];
        Assert.Equal(10, syncIds.Length);
        Assert.Equal(syncIds.Max() - 9, syncIds.Min());
        Assert.All(answered, position => Assert.True(position >= syncIds.Min(), $"a push was answered at {position}, before the batch's actions"));
        Assert.Equal(10, await ServerDatabase.CountAsync(server, "cards"));
    }

    [Fact]
    public async Task A_row_the_database_refuses_rejects_only_its_mutation_and_the_rest_of_the_batch_and_the_next_push_commit()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(tether => tether.AddMutators([gate]), oneWriter: true);
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await SetUpTeamAsync(alice, "setup");

        // Both pushes wait behind the gate, so they share one batch with the refused rows.
        Task<JsonElement> held = alice.PushAsync("gate", M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;
        Task<JsonElement> mixed = alice.PushAsync("a1",
            M(1, "createCard", new { id = "a1", boardId = BoardId, teamId = "t1", title = "Fine" }),
            M(2, "createCard", new { id = "a2", boardId = Guid.NewGuid().ToString(), teamId = "t1", title = "No such board" }),
            M(3, "createCard", new { id = "a3", boardId = BoardId, teamId = "t1", title = "" }),
            M(4, "createCard", new { id = "a4", boardId = BoardId, teamId = "t1", title = "Fine too" }));
        Task<long> other = bob.ApplyAsync("b1", 1, "createCard", new { id = "b1", boardId = BoardId, teamId = "t1", title = "Bob's" });
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 2, "both pushes wait for the writer");
        gate.Open();
        await held;

        JsonElement[] results = [.. (await mixed).GetProperty("results").EnumerateArray()];
        await other;
        Assert.Equal(["applied", "rejected", "rejected", "applied"], results.Select(r => r.GetProperty("status").GetString()));
        foreach ((JsonElement refused, string id) in new[] { (results[1], "a2"), (results[2], "a3") })
        {
            JsonElement error = refused.GetProperty("error");
            Assert.Equal("invalid_args", error.GetProperty("code").GetString());
            string message = error.GetProperty("message").GetString()!;
            Assert.Contains($"card '{id}'", message, StringComparison.Ordinal);
            Assert.DoesNotContain("constraint", message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SQLite", message, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(["a1", "a4", "b1"], await CardIdsAsync(server));

        // A retry of the refused mutation (its answer lost) gets its refusal again, and the client's queue goes on.
        JsonElement retry = (await alice.PushAsync("a1", M(2, "createCard", new { id = "a2", boardId = BoardId, teamId = "t1", title = "Now fine" }))).GetProperty("results")[0];
        Assert.Equal("rejected", retry.GetProperty("status").GetString());
        await alice.ApplyAsync("a1", 5, "createCard", new { id = "a5", boardId = BoardId, teamId = "t1", title = "Next" });
        Assert.Equal(["a1", "a4", "a5", "b1"], await CardIdsAsync(server));
    }

    [Fact]
    public async Task A_mutators_record_that_the_entity_cannot_hold_is_invalid_args_and_writes_nothing()
    {
        await using TestServer server = await StartAsync();
        using SyncApi alice = server.Api("alice");
        await SetUpTeamAsync(alice, "setup");

        JsonElement results = (await alice.PushAsync("a1",
            M(1, "putRecord", new { model = "card", id = "c1", data = new { boardId = BoardId, teamId = "t1", title = "T", color = "red" } }),
            M(2, "putRecord", new { model = "card", id = "c2", data = new { boardId = BoardId, teamId = "t1", title = "T", points = "many" } }),
            M(3, "putRecord", new { model = "card", id = "c3", data = new { boardId = BoardId, teamId = "t1", title = "T", internalNotes = "mine" } }),
            M(4, "putRecord", new { model = "note", id = "n1", data = new { text = "kept as JSON" }, groups = new[] { "team:t1" } }))).GetProperty("results");

        Assert.Equal(["rejected", "rejected", "rejected", "applied"], results.EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.All(results.EnumerateArray().Take(3), r => Assert.Equal("invalid_args", r.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(0, await ServerDatabase.CountAsync(server, "cards"));
    }

    private static async Task<IReadOnlyList<LogEntry>> LogAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(TestContext.Current.CancellationToken);
        return await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, TestContext.Current.CancellationToken);
    }

    /// <summary>Alice in team t1 with its board; returns the head.</summary>
    private static async Task<long> SetUpTeamAsync(SyncApi alice, string clientId)
    {
        await alice.ApplyAsync(clientId, 1, "addMember", new { teamId = "t1", userId = "alice" });
        return await alice.ApplyAsync(clientId, 2, "createBoard", new { id = BoardId, teamId = "t1", name = "Board" });
    }

    private static async Task<string[]> CardIdsAsync(TestServer server)
    {
        string ids = (string)(await ServerDatabase.ScalarAsync(server, OrderedIds(server)) ?? "");
        return ids.Length == 0 ? [] : ids.Split(',');
    }

    private static string OrderedIds(TestServer server) => server.PostgresConnection is null
        ? "SELECT group_concat(\"Id\", ',') FROM (SELECT \"Id\" FROM cards ORDER BY \"Id\")"
        : "SELECT string_agg(\"Id\", ',' ORDER BY \"Id\") FROM cards";
}

public sealed class SqliteMutatorPathTests : MutatorPathTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlMutatorPathTests : MutatorPathTests
{
    protected override bool OnPostgres => true;
}
