using Tether.Server.Internal.Pipeline;

namespace Tether.Server.Tests;

/// <summary>The writers' group cache shared by several writer loops: a batch hands back what it knew only for users
/// nobody forgot while it ran, so a batch that overlapped a change of a user's groups (another loop's commit, or one
/// the log tailer saw) cannot put back the groups from before it.</summary>
public sealed class WriterGroupCacheUnitTests
{
    /// <summary>A cache that has seen a commit sequenced later, as a store with concurrent writers reports them.</summary>
    private static WriterGroupCache SequencedLater()
    {
        var cache = new WriterGroupCache();
        cache.Committed(cache.Version, head: 1, sequencedLater: true, Known("carol", "team:t9"), changed: []);
        return cache;
    }

    private static Dictionary<string, HashSet<string>> Known(string user, params string[] groups)
        => new() { [user] = new HashSet<string>(groups, StringComparer.Ordinal) };

    [Fact]
    public void A_batch_that_began_before_a_user_was_forgotten_does_not_put_the_users_groups_back()
    {
        WriterGroupCache cache = SequencedLater();
        long began = cache.Version;
        cache.Begin(head: 10);

        cache.Forget(["bob"]);
        cache.Committed(began, head: 12, sequencedLater: true, Known("bob", "team:t1"), changed: []);

        Assert.False(cache.TryGet("bob", out _));
    }

    [Fact]
    public void A_batch_that_began_after_the_user_was_forgotten_keeps_what_it_resolved()
    {
        WriterGroupCache cache = SequencedLater();
        cache.Forget(["bob"]);
        long began = cache.Version;
        cache.Begin(head: 10);

        cache.Committed(began, head: 12, sequencedLater: true, Known("bob", "team:t1"), changed: []);

        Assert.True(cache.TryGet("bob", out HashSet<string> groups));
        Assert.Equal(["team:t1"], groups);
    }

    [Fact]
    public void A_user_another_batch_changed_while_this_one_ran_is_not_put_back_by_this_one()
    {
        var cache = new WriterGroupCache();
        long slow = cache.Version;
        long fast = cache.Version;

        cache.Committed(fast, head: 11, sequencedLater: true, Known("bob", "team:t2"), changed: ["bob"]);
        cache.Committed(slow, head: 12, sequencedLater: true, Known("bob", "team:t1"), changed: []);

        Assert.True(cache.TryGet("bob", out HashSet<string> groups));
        Assert.Equal(["team:t2"], groups);
    }

    [Fact]
    public void On_a_store_that_sequences_later_a_new_head_does_not_empty_the_cache()
    {
        WriterGroupCache cache = SequencedLater();
        cache.Committed(cache.Version, head: 5, sequencedLater: true, Known("bob", "team:t1"), changed: []);

        cache.Begin(head: 40);

        Assert.True(cache.TryGet("bob", out _));
    }

    [Fact]
    public void On_a_store_that_gives_syncIds_at_commit_a_batch_at_another_head_forgets_everything()
    {
        var cache = new WriterGroupCache();
        cache.Begin(head: 5);
        cache.Committed(cache.Version, head: 6, sequencedLater: false, Known("bob", "team:t1"), changed: []);

        cache.Begin(head: 6);
        Assert.True(cache.TryGet("bob", out _));
        cache.Begin(head: 9);
        Assert.False(cache.TryGet("bob", out _));
    }

    [Fact]
    public void On_a_store_that_gives_syncIds_at_commit_what_the_log_tailer_publishes_forgets_nobody()
    {
        var cache = new WriterGroupCache();
        cache.Begin(head: 5);
        cache.Committed(cache.Version, head: 6, sequencedLater: false, Known("bob", "team:t1"), changed: ["bob"]);

        cache.Forget(["bob"]);

        Assert.True(cache.TryGet("bob", out _));
    }

    [Fact]
    public void A_batch_that_reports_its_commit_after_a_later_batch_began_does_not_put_back_older_groups()
    {
        var cache = new WriterGroupCache();
        cache.Begin(head: 5);
        long first = cache.Version;
        // The first batch committed at 6; the next one began there and committed at 8 before the first reported.
        cache.Begin(head: 6);
        cache.Committed(cache.Version, head: 8, sequencedLater: false, Known("bob", "team:t2"), changed: []);

        cache.Committed(first, head: 6, sequencedLater: false, Known("bob", "team:t1"), changed: []);

        Assert.True(cache.TryGet("bob", out HashSet<string> groups));
        Assert.Equal(["team:t2"], groups);
    }
}
