using System.Net;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>alice owns team t1, bob owns team t2. Every id of t1's records starts with "t1", every id of t2's with "t2".</summary>
public sealed class GroupIsolationTests
{
    private static bool OfT1(JsonElement action) => action.ModelId().StartsWith("t1", StringComparison.Ordinal);

    /// <summary>Seeds both teams and waits until the fan-out has published them, so connections start after them.</summary>
    private static async Task<(Seed Alice, Seed Bob)> TwoTeamsAsync(TestServer server, SyncApi alice, SyncApi bob)
    {
        var a = new Seed(alice, "a1");
        await a.TeamWithProjectAsync("t1", "t1-p");
        await a.IssueAsync("t1-i1", "t1-p", "secret of t1");
        var b = new Seed(bob, "b1");
        await FanoutProbe.WaitForAsync(server, await b.TeamWithProjectAsync("t2", "t2-p"));
        return (a, b);
    }

    [Fact]
    public async Task Bob_never_receives_records_or_actions_of_a_team_he_is_not_in_by_any_transport()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        (Seed a, Seed b) = await TwoTeamsAsync(server, alice, bob);

        await using LiveClient live = await LiveClient.ConnectAsync(server, "bob", "b1");
        JsonElement handshake = await live.ExpectAsync("handshake");
        Assert.Equal(["team:t2", "user:bob"], handshake.SyncGroups());
        await using SseClient sse = await SseClient.ConnectAsync(bob, "?from=0");
        JsonElement sseHandshake = (await sse.ReceiveAsync()).Data;
        Assert.Equal(["team:t2", "user:bob"], sseHandshake.SyncGroups());
        long start = handshake.LastSyncId();
        Task<JsonElement> poll = bob.PollAsync(start, 20_000);

        long secret = await a.IssueAsync("t1-i2", "t1-p", "another secret");
        await a.RunAsync("updateIssue", new { id = "t1-i1", title = "still secret" });
        long own = await b.IssueAsync("t2-i1", "t2-p", "bob's own");

        List<JsonElement> liveFrames = await live.ReadUntilAsync(own);
        Frames.AssertChained(start, liveFrames);
        Assert.DoesNotContain(Frames.ActionsOf(liveFrames), OfT1);
        // alice's actions are filtered out, yet the frames' positions moved over them.
        Assert.True(secret < own);
        Assert.All(liveFrames.Where(f => f.LastSyncId() < own), f => Assert.Empty(f.Actions()));
        Assert.Equal(["t2-i1"], Frames.ActionsOf(liveFrames).Select(a => a.ModelId()));

        List<(long Id, JsonElement Data)> sseEvents = await sse.ReadUntilAsync(own);
        JsonElement[] sseFrames = [.. sseEvents.Select(e => e.Data)];
        Frames.AssertChained(0, sseFrames);
        Assert.DoesNotContain(Frames.ActionsOf(sseFrames), OfT1);
        Assert.Contains(Frames.ActionsOf(sseFrames), a => a.ModelId() == "t2-i1");

        // The poll waited through alice's actions, which bob cannot see, and answered with bob's own.
        JsonElement polled = await poll.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(["t2-i1"], polled.Actions().Select(a => a.ModelId()));
        Assert.Equal(own, polled.LastSyncId());

        List<JsonElement> delta = await bob.AllActionsAsync(0);
        Assert.DoesNotContain(delta, OfT1);
        Assert.Contains(delta, a => a.ModelId() == "t2-i1");
        Assert.Equal(own, await bob.HeadAsync());

        BootstrapResult eager = await bob.BootstrapAsync(new { type = "eager" });
        Assert.Equal(["team:t2", "user:bob"], eager.Start.SyncGroups());
        Assert.DoesNotContain(eager.Rows.Keys, k => k.Id.StartsWith("t1", StringComparison.Ordinal));
        Assert.Contains(("issue", "t2-i1"), eager.Rows.Keys);

        using HttpResponseMessage lazy = await bob.BootstrapRawAsync(new { type = "lazy", syncGroups = new[] { "team:t1" } });
        Assert.Equal(HttpStatusCode.Forbidden, lazy.StatusCode);
        await Errors.ReadAsync(lazy, "forbidden");
    }

    [Fact]
    public async Task Added_member_gets_the_team_live_and_removed_member_stops_getting_it()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        (Seed a, Seed b) = await TwoTeamsAsync(server, alice, bob);
        await using LiveClient live = await LiveClient.ConnectAsync(server, "bob", "b1");
        long start = (await live.ExpectAsync("handshake")).LastSyncId();
        await using SseClient sse = await SseClient.ConnectAsync(bob);
        Assert.Equal("handshake", (await sse.ReceiveAsync()).Data.Type());

        // Added: the groups frame comes before the frame with bob's membership, on both transports.
        long added = await a.MemberAsync("t1", "bob");
        List<JsonElement> addFrames = await live.ReadUntilAsync(added);
        AssertGroupsBefore(addFrames, ["team:t1", "team:t2", "user:bob"], a => a.ModelId() == "t1:bob" && a.GetProperty("action").GetString() == "insert");
        AssertGroupsBefore([.. (await sse.ReadUntilAsync(added)).Select(e => e.Data)], ["team:t1", "team:t2", "user:bob"], a => a.ModelId() == "t1:bob");

        long issue = await a.IssueAsync("t1-i2", "t1-p", "now bob sees it");
        List<JsonElement> memberFrames = await live.ReadUntilAsync(issue);
        Assert.Equal(["t1-i2"], Frames.ActionsOf(memberFrames).Select(x => x.ModelId()));

        BootstrapResult lazy = await bob.BootstrapAsync(new { type = "lazy", syncGroups = new[] { "team:t1" } });
        Assert.Equal(["team:t1"], lazy.Start.SyncGroups());
        Assert.Equal(
            [("issue", "t1-i1"), ("issue", "t1-i2"), ("member", "t1:alice"), ("member", "t1:bob"), ("project", "t1-p"), ("team", "t1")],
            lazy.Rows.Keys.Order());

        // Removed: the groups frame without t1 comes first; bob still learns that his membership is gone.
        long removed = await a.RunAsync("removeMember", new { teamId = "t1", userId = "bob" });
        List<JsonElement> removeFrames = await live.ReadUntilAsync(removed);
        AssertGroupsBefore(removeFrames, ["team:t2", "user:bob"], a => a.ModelId() == "t1:bob" && a.GetProperty("action").GetString() == "delete");

        await a.IssueAsync("t1-i3", "t1-p", "bob is gone");
        await a.RunAsync("updateIssue", new { id = "t1-i2", title = "changed after bob left" });
        await a.RunAsync("deleteIssue", new { id = "t1-i1" });
        long own = await b.IssueAsync("t2-i1", "t2-p", "bob's own");
        List<JsonElement> afterFrames = await live.ReadUntilAsync(own);

        Frames.AssertChained(start, [.. addFrames, .. memberFrames, .. removeFrames, .. afterFrames]);
        Assert.Equal(["t2-i1"], Frames.ActionsOf(afterFrames).Select(x => x.ModelId()));
        Assert.DoesNotContain(afterFrames, f => f.Type() == "groups");
        Assert.Equal(["t2-i1"], (await bob.AllActionsAsync(removed)).Select(x => x.ModelId()));
        using HttpResponseMessage forbidden = await bob.BootstrapRawAsync(new { type = "lazy", syncGroups = new[] { "team:t1" } });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        await Errors.ReadAsync(forbidden, "forbidden");
    }

    [Fact]
    public async Task Poll_that_sees_only_another_teams_actions_answers_empty_at_its_timeout_with_the_position_moved_past_them()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        (Seed a, _) = await TwoTeamsAsync(server, alice, bob);
        long start = await bob.HeadAsync();

        // The poll is answered only by its timeout; alice's writes happen while it waits (or, at worst, before it
        // reads, which changes nothing: bob cannot see them).
        Task<JsonElement> poll = bob.PollAsync(start, 5_000);
        long secret = await a.IssueAsync("t1-i2", "t1-p", "invisible to bob");
        JsonElement answer = await poll.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Empty(answer.Actions());
        Assert.False(answer.GetProperty("hasMore").GetBoolean());
        Assert.Equal(secret, answer.LastSyncId());
        JsonElement idle = await bob.PollAsync(secret, 200);
        Assert.Empty(idle.Actions());
        Assert.Equal(secret, idle.LastSyncId());
    }

    [Fact]
    public async Task Delta_with_a_limit_pages_through_the_visible_actions_and_covers_the_invisible_ones()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        (Seed a, Seed b) = await TwoTeamsAsync(server, alice, bob);
        long start = await bob.HeadAsync();
        await b.IssueAsync("t2-i1", "t2-p");
        await a.IssueAsync("t1-i2", "t1-p");
        await b.IssueAsync("t2-i2", "t2-p");
        long head = await a.IssueAsync("t1-i3", "t1-p");

        JsonElement first = await bob.DeltaAsync(start, limit: 1);
        JsonElement second = await bob.DeltaAsync(first.LastSyncId(), limit: 1);
        JsonElement third = await bob.DeltaAsync(second.LastSyncId(), limit: 1);

        Assert.Equal(["t2-i1"], first.Actions().Select(x => x.ModelId()));
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        Assert.Equal(first.Actions()[0].SyncId(), first.LastSyncId());
        Assert.Equal(["t2-i2"], second.Actions().Select(x => x.ModelId()));
        Assert.Equal(second.Actions()[0].SyncId(), second.LastSyncId());
        Assert.Empty(third.Actions());
        Assert.False(third.GetProperty("hasMore").GetBoolean());
        Assert.Equal(head, third.LastSyncId());
        JsonElement bounded = await bob.DeltaAsync(start, to: start + 2);
        Assert.Equal(["t2-i1"], bounded.Actions().Select(x => x.ModelId()));
        Assert.Equal(start + 2, bounded.LastSyncId());
        Assert.False(bounded.GetProperty("hasMore").GetBoolean());
    }

    /// <summary>Exactly one groups frame, with <paramref name="groups"/>, before the sync frame carrying the action.</summary>
    private static void AssertGroupsBefore(IReadOnlyList<JsonElement> frames, string[] groups, Func<JsonElement, bool> action)
    {
        JsonElement[] groupFrames = [.. frames.Where(f => f.Type() == "groups")];
        Assert.Equal(groups, Assert.Single(groupFrames).SyncGroups());
        int groupsAt = frames.ToList().FindIndex(f => f.Type() == "groups");
        int actionAt = frames.ToList().FindIndex(f => f.Type() == "sync" && f.Actions().Any(action));
        Assert.True(actionAt >= 0, "the action never arrived");
        Assert.True(groupsAt < actionAt, $"the groups frame (#{groupsAt}) came after the action's frame (#{actionAt})");
    }
}
