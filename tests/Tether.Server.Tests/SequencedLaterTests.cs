using System.Net;
using System.Text.Json;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>A store whose commits get their syncIds after they commit (<see cref="CommittedBatch.SequencedLater"/>)
/// has its pushes answered only once they are in the log, each applied or duplicate result carrying the head after
/// its transaction; while one commit waits, the writer goes on with the next. The real SQLite store behind
/// <see cref="InterposedStore"/> is sequenced when the test says.</summary>
public sealed class SequencedLaterTests
{
    private static async Task<(TestServer Server, InterposedStore Store)> StartAsync(int writers = 2)
    {
        TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = options => options.Limits.RequestsPerSecond = 0,
            Builder = tether => InterposedStore.Install(tether, writers),
        });
        return (server, (InterposedStore)server.Store);
    }

    private static bool Writes(WriteBatch batch, string modelId) => batch.Actions.Any(action => action.ModelId == modelId);

    [Fact]
    public async Task A_push_is_answered_only_once_its_commit_is_sequenced_and_carries_the_head_the_store_gave()
    {
        // One writer loop: bob's push below can only be committed if the loop does not wait for alice's sequencing.
        (TestServer server, InterposedStore store) = await StartAsync(writers: 1);
        await using TestServer _ = server;
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        var committed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sequenced = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Sequencing = (batch, head) =>
        {
            if (!Writes(batch, "t-alice"))
            {
                return null;
            }
            committed.SetResult(head);
            return sequenced.Task;
        };

        Task<JsonElement> alicePush = alice.PushAsync("alice-1", M(1, "createTeam", new { id = "t-alice", name = "A" }));
        long aliceCommitted = await committed.Task;
        // The writer goes on: bob's push is committed and answered while alice's waits.
        long bobSyncId = await bob.ApplyAsync("bob-1", 1, "createTeam", new { id = "t-bob", name = "B" });
        Assert.True(bobSyncId > aliceCommitted, $"bob's commit ({bobSyncId}) came after alice's ({aliceCommitted})");
        Assert.False(alicePush.IsCompleted, "alice's push was answered before its commit was sequenced");
        sequenced.SetResult(bobSyncId);

        JsonElement result = (await alicePush).GetProperty("results")[0];
        Assert.Equal("applied", result.GetProperty("status").GetString());
        Assert.Equal(bobSyncId, result.GetProperty("lastSyncId").GetInt64());
        await meters.WaitUntilAsync(m => m.Count("tether.server.sequencing.wait") == 1, "the wait for sequencing is measured");
    }

    [Fact]
    public async Task A_long_push_in_slices_waits_for_its_last_slice_and_every_result_carries_that_head()
    {
        TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = options =>
            {
                options.Limits.RequestsPerSecond = 0;
                options.Limits.MaxMutationsPerUserPerCommit = 2;
            },
            Builder = tether => InterposedStore.Install(tether, writers: 2),
        });
        await using TestServer _ = server;
        var store = (InterposedStore)server.Store;
        using SyncApi alice = server.Api("alice");
        var heads = new List<long>();
        store.Sequencing = (batch, head) =>
        {
            lock (heads)
            {
                heads.Add(head);
            }
            // Each slice is sequenced a little beyond its own head, as a later commit of another node would leave it.
            return Task.FromResult(head + 100);
        };

        JsonElement answer = await alice.PushAsync("alice-1", [.. Enumerable.Range(1, 5).Select(i => M(i, "createTeam", new { id = "t" + i, name = "T" }))]);

        Assert.Equal(3, heads.Count);
        long last = heads.Max() + 100;
        Assert.All(answer.GetProperty("results").EnumerateArray(), result =>
        {
            Assert.Equal("applied", result.GetProperty("status").GetString());
            Assert.Equal(last, result.GetProperty("lastSyncId").GetInt64());
        });
        Assert.Equal(5, answer.GetProperty("lastMutationId").GetInt64());
    }

    [Fact]
    public async Task A_push_whose_sequencing_times_out_is_answered_503_and_its_retry_is_a_duplicate_at_the_head()
    {
        (TestServer server, InterposedStore store) = await StartAsync();
        await using TestServer _ = server;
        using SyncApi alice = server.Api("alice");
        store.Sequencing = (batch, head) => Writes(batch, "t1") ? Task.FromException<long>(new TimeoutException("Interposed: not sequenced in time.")) : null;
        var mutation = M(1, "createTeam", new { id = "t1", name = "Core" });

        using (HttpResponseMessage response = await alice.PushRawAsync("alice-1", mutation))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            JsonElement error = await Errors.ReadAsync(response, "unavailable");
            Assert.Contains("committed", error.GetProperty("message").GetString());
        }

        JsonElement retried = (await alice.PushAsync("alice-1", (System.Text.Json.Nodes.JsonObject)mutation.DeepClone())).GetProperty("results")[0];
        Assert.Equal("duplicate", retried.GetProperty("status").GetString());
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        Assert.Equal(snapshot.Head, retried.GetProperty("lastSyncId").GetInt64());
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(0, snapshot.Head, 100, CancellationToken.None);
        Assert.Single(log, entry => entry.ModelName == "team" && entry.ModelId == "t1");
    }
}
