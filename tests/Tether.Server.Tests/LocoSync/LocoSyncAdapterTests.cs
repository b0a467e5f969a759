using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests.LocoSync;

/// <summary>
/// The Loco Sync network adapter (<c>clients/loco-sync</c>) against a real server, its four methods called as Loco
/// Sync's client calls them (<see cref="LocoSyncNodeClient"/>). Every client also checks what Loco's storage relies
/// on (the fields of each action, only the models it asked for, no method that throws); its <c>Errors</c> must stay
/// empty.
/// </summary>
public sealed class LocoSyncAdapterTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(LiveTransport.WebSocket)]
    [InlineData(LiveTransport.ServerSentEvents)]
    [InlineData(LiveTransport.BlockedWebSocket)]
    public async Task Two_users_of_one_team_converge_and_a_user_of_another_team_sees_nothing(LiveTransport transport)
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", ["bob"], transport);
        // Bob's app bootstraps no model eagerly: everything comes from the lazy bootstrap of his team's group.
        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app", eagerModels: [], transport: transport);
        await using LocoSyncNodeClient carol = await LocoSyncNodeClient.StartAsync(SyncBase(server), "carol", "carol-app", transport: transport);
        Assert.Equal("running", await bob.StartClientAsync());
        Assert.Equal("running", await carol.StartClientAsync());
        await carol.MutateAsync(new { name = "createTeam", args = new { id = "t2", name = "Other" } });
        await bob.SettleAsync(Converge);

        for (int i = 0; i < 10; i++)
        {
            await alice.MutateAsync(new[] { Create("issue", $"a{i}", new { teamId = "t1", projectId = "p1", title = $"Alice {i}" }) });
            await bob.MutateAsync(new[] { Create("issue", $"b{i}", new { teamId = "t1", projectId = "p1", title = $"Bob {i}" }) });
        }
        await bob.WaitForAsync("issue", "a3", timeout: Converge);
        await alice.WaitForAsync("issue", "b1", timeout: Converge);
        // A partial update of the other's issue, a delete, and an update with a create in one transaction.
        await bob.MutateAsync(new[] { Update("issue", "a3", new { status = "done" }) });
        await alice.MutateAsync(new[] { Delete("issue", "b1") });
        await alice.MutateAsync(new object[] { Create("comment", "c1", new { teamId = "t1", issueId = "a3", body = "Shipped" }), Update("issue", "a0", new { title = "Alice 0, renamed" }) });
        await alice.SettleAsync(Converge);
        await bob.SettleAsync(Converge);
        await alice.SettleAsync(Converge);

        foreach (string model in new[] { "team", "member", "project", "issue", "comment" })
        {
            Assert.Equal(Texts((await alice.RowsAsync(model)).Confirmed), Texts((await bob.RowsAsync(model)).Confirmed));
        }
        JsonElement[] issues = (await bob.RowsAsync("issue")).Confirmed;
        Assert.Equal(19, issues.Length);
        Assert.DoesNotContain(issues, issue => issue.GetProperty("id").GetString() == "b1");
        JsonElement a3 = Assert.Single(issues, issue => issue.GetProperty("id").GetString() == "a3");
        // The update's action carried the full row, not the patch.
        Assert.Equal(("Alice 3", "done", "alice"), (a3.GetProperty("title").GetString(), a3.GetProperty("status").GetString(), a3.GetProperty("createdBy").GetString()));
        Assert.Equal("Alice 0, renamed", Assert.Single(issues, issue => issue.GetProperty("id").GetString() == "a0").GetProperty("title").GetString());

        LocoStatus carolStatus = await carol.SettleAsync(Converge);
        Assert.DoesNotContain("team:t1", carolStatus.Groups);
        Assert.Equal(["t2"], (await carol.RowsAsync("team")).Confirmed.Select(t => t.GetProperty("id").GetString()));
        foreach (string model in new[] { "project", "issue", "comment" })
        {
            Assert.Empty((await carol.RowsAsync(model)).Confirmed);
        }

        LocoStatus bobStatus = await bob.StatusAsync();
        JsonElement eager = bobStatus.Bootstraps[0];
        Assert.Equal("eager", eager.GetProperty("request").GetProperty("type").GetString());
        Assert.Contains("team:t1", eager.GetProperty("syncGroups").EnumerateArray().Select(g => g.GetString()));
        await AssertCleanAsync(alice, bob, carol);
    }

    [Theory]
    [InlineData(LiveTransport.WebSocket)]
    [InlineData(LiveTransport.ServerSentEvents)]
    [InlineData(LiveTransport.BlockedWebSocket)]
    public async Task A_client_that_lost_its_connection_reconnects_and_catches_up_by_a_paged_delta(LiveTransport transport)
    {
        LocoSyncNodeClient.RequireHarness();
        // Pages of two actions, so the catch-up takes several.
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxDeltaLimit = 2 });
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", ["bob"]);
        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app", transport: transport);
        await bob.StartClientAsync();
        await bob.SettleAsync(Converge);
        int handshakesBefore = (await bob.StatusAsync()).Handshakes.Length;

        await bob.OfflineAsync();
        for (int i = 0; i < 5; i++)
        {
            await alice.MutateAsync(new[] { Create("issue", $"x{i}", new { teamId = "t1", projectId = "p1", title = $"While away {i}" }) });
        }
        await alice.MutateAsync(new[] { Delete("issue", "x2") });
        await alice.SettleAsync(Converge);
        using SyncApi api = server.Api("alice");
        long[] written = [.. (await api.AllActionsAsync()).Where(a => a.GetProperty("modelName").GetString() == "issue").Select(a => a.GetProperty("syncId").GetInt64())];
        Assert.Equal(6, written.Length);
        LocoStatus away = await bob.StatusAsync();
        Assert.True(away.Disconnects >= 1, $"The lost connection was reported as disconnected: {away}");
        Assert.Empty((await bob.RowsAsync("issue")).Confirmed);

        await bob.OnlineAsync();
        await bob.WaitForAsync("issue", "x4", timeout: Converge);
        LocoStatus back = await bob.SettleAsync(Converge);
        Assert.True(back.Handshakes.Length > handshakesBefore, $"A new handshake after reconnecting: {back}");
        // Everything written while away came in the catch-up's delta, none of it live.
        long[] delta = [.. back.Deltas.Where(d => d.GetProperty("ok").GetBoolean()).SelectMany(d => d.GetProperty("syncIds").EnumerateArray().Select(s => s.GetInt64()))];
        Assert.Subset(delta.ToHashSet(), written.ToHashSet());
        Assert.Equal(["x0", "x1", "x3", "x4"], (await bob.RowsAsync("issue")).Confirmed.Select(i => i.GetProperty("id").GetString()));

        // And the stream goes on live.
        await alice.MutateAsync(new[] { Create("issue", "y0", new { teamId = "t1", projectId = "p1", title = "Back" }) });
        await bob.WaitForAsync("issue", "y0", timeout: Converge);
        await AssertCleanAsync(alice, bob);
    }

    [Fact]
    public async Task A_transaction_the_server_refuses_is_rolled_back_and_the_next_one_goes_through()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", []);
        await using LocoSyncNodeClient mallory = await LocoSyncNodeClient.StartAsync(SyncBase(server), "mallory", "mallory-app");
        await mallory.StartClientAsync();
        await mallory.SettleAsync(Converge);

        // Mallory is in no team: locally the project shows at once, the server refuses it.
        int refused = await mallory.MutateAsync(new[] { Create("project", "intruder", new { teamId = "t1", name = "Not yours" }) });
        int unknown = await mallory.MutateAsync(new { name = "noSuchMutator", args = new { } });
        await mallory.MutateAsync(new { name = "createTeam", args = new { id = "m1", name = "Mallory's" } });
        LocoStatus status = await mallory.SettleAsync(Converge);

        Assert.Equal([refused, unknown], status.RolledBack);
        Assert.Equal(1, status.Committed);
        Assert.Empty((await mallory.RowsAsync("project")).Optimistic);
        Assert.Equal(["m1"], (await mallory.RowsAsync("team")).Confirmed.Select(t => t.GetProperty("id").GetString()));
        Assert.DoesNotContain((await alice.RowsAsync("project")).Confirmed, p => p.GetProperty("id").GetString() == "intruder");
        await AssertCleanAsync(alice, mallory);
    }

    [Fact]
    public async Task Mutation_ids_come_from_the_server_so_another_copy_of_the_same_client_loses_no_write()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using (LocoSyncNodeClient first = await StartTeamAsync(server, "alice", []))
        {
            await first.MutateAsync(new[] { Create("issue", "before", new { teamId = "t1", projectId = "p1", title = "From the first run" }) });
            await first.SettleAsync(Converge);
        }

        // The same client id in a new process: a counter of its own would start at 1 and be answered `duplicate`.
        await using LocoSyncNodeClient second = await LocoSyncNodeClient.StartAsync(SyncBase(server), "alice", "alice-app");
        await using LocoSyncNodeClient third = await LocoSyncNodeClient.StartAsync(SyncBase(server), "alice", "alice-app");
        await second.StartClientAsync();
        await third.StartClientAsync();
        // Each copy learns its next id at its first send; after that, the other copy takes it. The server's
        // `duplicate` for an id a copy never sent makes it learn again rather than take the write for applied.
        foreach ((LocoSyncNodeClient copy, string issue) in new[] { (second, "s1"), (third, "t1"), (second, "s2"), (third, "t2") })
        {
            await copy.MutateAsync(new[] { Create("issue", issue, new { teamId = "t1", projectId = "p1", title = issue }) });
            await copy.SettleAsync(Converge);
        }

        using SyncApi api = server.Api("alice");
        string[] created = [.. (await api.AllActionsAsync()).Where(a => a.GetProperty("modelName").GetString() == "issue").Select(a => a.GetProperty("modelId").GetString()!)];
        Assert.Equal(["before", "s1", "t1", "s2", "t2"], created);
        await third.WaitForAsync("issue", "s2", timeout: Converge);
        Assert.Equal(["before", "s1", "s2", "t1", "t2"], (await third.RowsAsync("issue")).Confirmed.Select(i => i.GetProperty("id").GetString()));
        await AssertCleanAsync(second, third);
    }

    [Fact]
    public async Task A_server_restored_from_a_backup_answers_a_mutation_gap_and_the_next_transaction_takes_the_id_it_expects()
    {
        LocoSyncNodeClient.RequireHarness();
        TestServer server = await TestServer.StartAsync();
        string backup = server.DataPath + ".backup";
        try
        {
            await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", []);
            server = await server.RestartAsync(() => CopyDatabase(server.DataPath, backup));
            await alice.MutateAsync(new[] { Create("issue", "lost", new { teamId = "t1", projectId = "p1", title = "Not in the backup" }) });
            await UntilAsync(alice, s => s.Committed == 3, "the transaction after the backup went through");

            // The backup knows the client's first two mutations; the adapter has used three ids.
            server = await server.RestartAsync(() => CopyDatabase(backup, server.DataPath));
            await alice.MutateAsync(new[] { Create("issue", "kept", new { teamId = "t1", projectId = "p1", title = "After the restore" }) });
            await UntilAsync(alice, s => s.Committed == 4, "the transaction after the restore went through");

            Assert.Empty((await alice.StatusAsync()).RolledBack);
            using SyncApi api = server.Api("alice");
            Assert.Equal(3, (await api.PushAsync("alice-app")).GetProperty("lastMutationId").GetInt64());
            BootstrapResult data = await api.BootstrapAsync(new { type = "eager" });
            Assert.Contains(("issue", "kept"), data.Rows.Keys);
            Assert.DoesNotContain(("issue", "lost"), data.Rows.Keys);
            await AssertCleanAsync(alice);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_bootstrap_cut_off_before_its_end_line_is_retried_and_never_half_taken()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", ["bob"]);
        for (int i = 0; i < 20; i++)
        {
            await alice.MutateAsync(new[] { Create("issue", $"i{i:D2}", new { teamId = "t1", projectId = "p1", title = $"Issue {i}" }) });
        }
        await alice.SettleAsync(Converge);

        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app");
        await bob.CutNextBootstrapAsync();
        Assert.Equal("running", await bob.StartClientAsync());
        LocoStatus status = await bob.SettleAsync(Converge);

        Assert.True(status.Bootstraps[0].GetProperty("ok").GetBoolean(), status.ToString());
        Assert.Contains(status.AdapterLog, line => line.Contains("without its end line", StringComparison.Ordinal));
        Assert.Equal(20, (await bob.RowsAsync("issue")).Confirmed.Length);
        await AssertCleanAsync(bob);
    }

    [Fact]
    public async Task An_expired_token_is_fetched_again_and_the_live_stream_goes_on()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        string Lasting(string user) => Tokens.Jwt(user, DateTimeOffset.UtcNow.AddHours(1));
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", ["bob"], token: Lasting("alice"));
        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app", token: Tokens.Jwt("bob", DateTimeOffset.UtcNow.AddSeconds(4)));
        await bob.StartClientAsync();
        LocoStatus before = await bob.SettleAsync(Converge);
        Assert.Equal(1, before.TokenCalls);
        await bob.SetTokenAsync(Lasting("bob"));

        // The server ends the stream at the token's expiry with `unauthorized`; the adapter asks for a new token.
        await UntilAsync(bob, s => s is { TokenCalls: >= 2, Handshakes.Length: >= 2 }, "bob reconnected with a new token");
        await alice.MutateAsync(new[] { Create("issue", "after", new { teamId = "t1", projectId = "p1", title = "After the renewal" }) });
        await bob.WaitForAsync("issue", "after", timeout: Converge);
        await AssertCleanAsync(alice, bob);
    }

    [Fact]
    public async Task A_position_the_server_no_longer_keeps_calls_onResyncRequired_and_stops_the_catch_up()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", ["bob"]);
        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app");
        await bob.StartClientAsync();
        await bob.SettleAsync(Converge);
        await bob.StopClientAsync();
        await alice.MutateAsync(new[] { Create("issue", "gone", new { teamId = "t1", projectId = "p1", title = "Compacted" }) });
        await alice.SettleAsync(Converge);
        long head = (await alice.StatusAsync()).LastSyncId;
        await server.Store.CompactAsync(head, TestContext.Current.CancellationToken);

        await bob.StartClientAsync();
        await UntilAsync(bob, s => s.Stalled, "bob's catch-up stopped");
        LocoStatus status = await bob.StatusAsync();
        Assert.Equal(1, status.ResyncRequired);
        // `server` once, not `network` asked again without end.
        JsonElement failed = Assert.Single(status.Deltas, d => !d.GetProperty("ok").GetBoolean());
        Assert.Equal("server", failed.GetProperty("error").GetString());
        await AssertCleanAsync(bob);
    }

    [Fact]
    public async Task A_user_added_to_a_team_while_connected_gets_the_team_by_a_lazy_bootstrap()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", []);
        await alice.MutateAsync(new[] { Create("issue", "old", new { teamId = "t1", projectId = "p1", title = "Before bob" }) });
        await alice.SettleAsync(Converge);
        await using LocoSyncNodeClient bob = await LocoSyncNodeClient.StartAsync(SyncBase(server), "bob", "bob-app");
        await bob.StartClientAsync();
        await bob.SettleAsync(Converge);
        Assert.DoesNotContain("team:t1", (await bob.StatusAsync()).Groups);

        // Tether's `groups` frame reaches Loco as a handshake, the only place Loco learns groups from.
        await alice.MutateAsync(new { name = "addMember", args = new { teamId = "t1", userId = "bob" } });
        await bob.WaitForAsync("issue", "old", timeout: Converge);
        LocoStatus status = await bob.SettleAsync(Converge);
        Assert.Contains("team:t1", status.Groups);
        JsonElement lazy = Assert.Single(status.Bootstraps, b => b.GetProperty("request").GetProperty("type").GetString() == "lazy"
            && b.GetProperty("request").GetProperty("syncGroups")[0].GetString() == "team:t1");
        Assert.True(lazy.GetProperty("ok").GetBoolean(), status.ToString());
        Assert.Equal(["p1"], (await bob.RowsAsync("project")).Confirmed.Select(p => p.GetProperty("id").GetString()));
        await AssertCleanAsync(alice, bob);
    }

    [Fact]
    public async Task A_push_answered_unauthorized_is_retried_as_auth_and_goes_through_once_the_token_source_gives_a_good_token()
    {
        LocoSyncNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        string good = Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddHours(1));
        await using LocoSyncNodeClient alice = await StartTeamAsync(server, "alice", [], token: Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddSeconds(8)));
        // The user signed out, say: the token source has nothing good once the token expires.
        await alice.SetTokenAsync("not-a-token");
        await UntilAsync(alice, s => s.TokenCalls >= 2, "the token expired and the adapter asked for a new one");
        await alice.MutateAsync(new[] { Create("issue", "kept", new { teamId = "t1", projectId = "p1", title = "Not rolled back" }) });
        await UntilAsync(alice, s => s.Retries >= 2, "the push was refused twice");
        Assert.Empty((await alice.StatusAsync()).RolledBack);
        Assert.Contains((await alice.RowsAsync("issue")).Optimistic, i => i.GetProperty("id").GetString() == "kept");

        await alice.SetTokenAsync(good);
        LocoStatus status = await alice.SettleAsync(Converge);
        Assert.Empty(status.RolledBack);
        Assert.Contains((await alice.RowsAsync("issue")).Confirmed, i => i.GetProperty("id").GetString() == "kept");

        // A bootstrap refused for its token is `auth`: Loco's start fails.
        await using LocoSyncNodeClient stranger = await LocoSyncNodeClient.StartAsync(SyncBase(server), "alice", "alice-other", token: "not-a-token");
        Assert.Equal("failed", await stranger.StartClientAsync());
        Assert.Equal("auth", (await stranger.StatusAsync()).Bootstraps[0].GetProperty("error").GetString());
        await AssertCleanAsync(alice, stranger);
    }

    [Fact]
    public async Task A_server_that_breaks_the_protocol_gets_network_failures_and_never_an_exception_or_a_malformed_action()
    {
        LocoSyncNodeClient.RequireHarness();
        await using MalformedSyncServer server = await MalformedSyncServer.StartAsync();
        await using LocoSyncNodeClient alice = await LocoSyncNodeClient.StartAsync(server.SyncBase, "alice", "alice-app", transport: LiveTransport.ServerSentEvents);
        Assert.Equal("running", await alice.StartClientAsync());
        await alice.MutateAsync(new[] { Create("issue", "i9", new { teamId = "t1", projectId = "p1", title = "Never answered" }) });

        await UntilAsync(alice, s => s is { Deltas.Length: >= 2, Disconnects: >= 2, Retries: >= 2 } && s.Bootstraps.Length == 2,
            "the delta, the live stream, the push and the lazy bootstrap all failed more than once");
        LocoStatus status = await alice.StatusAsync();
        // Retried inside the adapter a bounded number of times, then `network`: Loco does not retry a bootstrap.
        Assert.Equal(1 + 5, server.Requests("/sync/bootstrap"));
        Assert.Equal("network", status.Bootstraps[1].GetProperty("error").GetString());
        Assert.All(status.Deltas, d => Assert.Equal("network", d.GetProperty("error").GetString()));
        // Nothing of the broken frame reached the store, and the transaction waits instead of being rolled back.
        Assert.Equal(7, status.LastSyncId);
        Assert.Empty((await alice.RowsAsync("issue")).Confirmed);
        Assert.Empty(status.RolledBack);
        Assert.False(status.Stalled);
        await AssertCleanAsync(alice);
    }

    /// <summary>A client of <paramref name="user"/> with team t1 (members <paramref name="members"/>) and its project
    /// p1, written through Loco's custom mutation arguments and local changes, and settled.</summary>
    private static async Task<LocoSyncNodeClient> StartTeamAsync(
        TestServer server, string user, string[] members, LiveTransport transport = LiveTransport.WebSocket, string? token = null)
    {
        LocoSyncNodeClient client = await LocoSyncNodeClient.StartAsync(SyncBase(server), user, $"{user}-app", token, transport: transport);
        Assert.Equal("running", await client.StartClientAsync());
        await client.MutateAsync(new { name = "createTeam", args = new { id = "t1", name = "Core" } });
        foreach (string member in members)
        {
            await client.MutateAsync(new { name = "addMember", args = new { teamId = "t1", userId = member } });
        }
        await client.MutateAsync(new[] { Create("project", "p1", new { teamId = "t1", name = "Sync" }) });
        await client.SettleAsync(Converge);
        return client;
    }

    private static async Task UntilAsync(LocoSyncNodeClient client, Func<LocoStatus, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Converge);
        LocoStatus status;
        while (!condition(status = await client.StatusAsync()))
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}: {status}");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Copies a stopped server's SQLite database, with its write-ahead log when one was left.</summary>
    private static Task CopyDatabase(string from, string to)
    {
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(to + suffix);
            if (File.Exists(from + suffix))
            {
                File.Copy(from + suffix, to + suffix);
            }
        }
        return Task.CompletedTask;
    }

    private static async Task AssertCleanAsync(params LocoSyncNodeClient[] clients)
    {
        foreach (LocoSyncNodeClient client in clients)
        {
            Assert.Empty((await client.StatusAsync()).Errors);
        }
    }

    private static Uri SyncBase(TestServer server) => new($"{server.BaseAddress.GetLeftPart(UriPartial.Authority)}/sync");

    private static string[] Texts(JsonElement[] rows) => [.. rows.Select(r => r.GetRawText())];

    private static Dictionary<string, object?> Create(string model, string id, object fields)
    {
        Dictionary<string, object?> data = JsonSerializer.SerializeToElement(fields).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        data["id"] = id;
        return new() { ["action"] = "create", ["modelName"] = model, ["modelId"] = id, ["data"] = data };
    }

    private static Dictionary<string, object?> Update(string model, string id, object fields)
        => new() { ["action"] = "update", ["modelName"] = model, ["modelId"] = id, ["data"] = fields };

    private static Dictionary<string, object?> Delete(string model, string id)
        => new() { ["action"] = "delete", ["modelName"] = model, ["modelId"] = id };
}
