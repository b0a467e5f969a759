using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>Membership rows the app writes with SaveChanges (<c>DecidesSyncGroupsOf</c>): the live connections of
/// their users follow without reconnecting.</summary>
public abstract class MembershipGroupChangeTests
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task A_user_the_app_adds_to_a_team_by_SaveChanges_gets_the_teams_rows_live_without_reconnecting_and_stops_when_removed()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t9");
        await FanoutProbe.WaitForAsync(server, await HeadAsync(server));
        await using LiveClient bob = await LiveClient.ConnectAsync(server, "bob");
        JsonElement handshake = await bob.ExpectAsync("handshake");
        Assert.Equal(["public", "user:bob"], handshake.SyncGroups().Order(StringComparer.Ordinal));
        long start = handshake.LastSyncId();

        // A card bob may not read yet, then his membership, then another card of the team.
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("before", board));
            return db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, db =>
        {
            db.Members.Add(new Member { Id = "t9:bob", TeamId = "t9", UserId = "bob" });
            return db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("after", board));
            return db.SaveChangesAsync(Ct);
        });
        long joined = await HeadAsync(server);
        List<JsonElement> frames = await bob.ReadUntilAsync(joined);

        JsonElement groups = Assert.Single(frames, f => f.Type() == "groups");
        Assert.Equal(["public", "team:t9", "user:bob"], groups.SyncGroups().Order(StringComparer.Ordinal));
        Frames.AssertChained(start, frames);
        Assert.Equal([("member", "t9:bob"), ("card", "after")], Frames.ActionsOf(frames).Select(a => (a.ModelName(), a.ModelId())));
        // The groups frame comes before the membership's own actions.
        Assert.True(frames.FindIndex(f => f.Type() == "groups") < frames.FindIndex(f => f.Type() == "sync" && f.Actions().Length > 0));

        // Removed again: the team's rows stop reaching him.
        await WithDbAsync(server, async db =>
        {
            db.Members.Remove(await db.Members.SingleAsync(m => m.Id == "t9:bob", Ct));
            await db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, async db =>
        {
            (await db.Cards.SingleAsync(c => c.Id == "after", Ct)).Title = "Not for bob";
            await db.SaveChangesAsync(Ct);
        });
        List<JsonElement> later = await bob.ReadUntilAsync(await HeadAsync(server));
        JsonElement left = Assert.Single(later, f => f.Type() == "groups");
        Assert.Equal(["public", "user:bob"], left.SyncGroups().Order(StringComparer.Ordinal));
        Assert.Equal([("delete", "member", "t9:bob")], Frames.ActionsOf(later).Select(a => (a.GetProperty("action").GetString(), a.ModelName(), a.ModelId())));

        IReadOnlyList<GroupChange> changes = await GroupChangesAsync(server);
        Assert.Equal(["bob", "bob"], changes.Select(c => c.UserId));
    }

    [Fact]
    public async Task A_membership_moved_from_one_user_to_another_makes_both_resolve_their_groups_at_the_transactions_first_action()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t9");
        await WithDbAsync(server, db =>
        {
            db.Members.Add(new Member { Id = "seat", TeamId = "t9", UserId = "bob" });
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            db.Cards.Add(Card("c1", board));
            (await db.Members.SingleAsync(m => m.Id == "seat", Ct)).UserId = "carol";
            await db.SaveChangesAsync(Ct);
        });

        IReadOnlyList<GroupChange> changes = await GroupChangesAsync(server);
        Assert.Equal([(2L, "bob"), (head + 1, "bob"), (head + 1, "carol")], changes.Select(c => (c.SyncId, c.UserId)).Order());
    }
}

public sealed class SqliteMembershipGroupChangeTests : MembershipGroupChangeTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlMembershipGroupChangeTests : MembershipGroupChangeTests
{
    protected override bool OnPostgres => true;
}
