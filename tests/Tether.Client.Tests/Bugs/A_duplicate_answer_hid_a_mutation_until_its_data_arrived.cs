using Tether.Client.Sqlite;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>A restarted client that heard "duplicate" for a mutation whose answer was lost before it had caught up
/// with the mutation's data dropped the mutation from its view: the app's change disappeared until the data
/// arrived.</summary>
public sealed class A_duplicate_answer_hid_a_mutation_until_its_data_arrived
{
    [Fact]
    public async Task A_duplicate_answer_keeps_the_mutation_shown_until_its_data_arrives()
    {
        // The lost push answer of CrashSafetyTests, with the worst timing: the dead process never applied the mutation's
        // sync frame either, and the new one hears "duplicate" before it has caught up.
        using var files = new TempDirectory();
        string file = Path.Combine(files.Path, "client.db");
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);

        using var dying = new PushInterceptor();
        bool frozen = false;
        TetherClient alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o =>
        {
            o.HttpHandler = dying;
            o.WrapLiveChannel = channel => new HeldLiveChannel(channel, Task.CompletedTask, () => Volatile.Read(ref frozen));
        });
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        Volatile.Write(ref frozen, true);
        dying.SwallowNextAnswer = true;
        MutationHandle lost = await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Answer lost" });
        await dying.Swallowed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await alice.DisposeAsync();
        Assert.DoesNotContain((await ServerTruth.ReadFileAsync(file)).Records, r => r.Id == "i1");

        // The new process hears nothing live until its pushes were answered and handled.
        var liveMayStart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var restarted = new PushInterceptor();
        alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o =>
        {
            o.HttpHandler = restarted;
            o.WrapLiveChannel = channel => new HeldLiveChannel(channel, liveMayStart.Task, () => false);
        });
        await using (alice)
        {
            var secondAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            restarted.AnswerDelivered += a =>
            {
                if (a.GetProperty("results").EnumerateArray().Any(r => r.GetProperty("id").GetInt64() == lost.Id + 1))
                {
                    secondAnswered.TrySetResult();
                }
            };
            await ClientHarness.EventuallyAsync(() => restarted.StatusesOf(lost.Id).Any(), "the lost mutation is answered again");
            Assert.Equal(["duplicate"], restarted.StatusesOf(lost.Id));
            // The push loop handles answers in order: once the next mutation's answer arrived, the duplicate's was handled.
            await alice.MutateAsync("createIssue", new { id = "i2", projectId = "p1", title = "Next" });
            await secondAnswered.Task.WaitAsync(TimeSpan.FromSeconds(20));

            Assert.False(alice.ConfirmedSnapshot().ContainsKey(("issue", "i1")));
            Assert.Equal("Answer lost", alice.Issue("i1")?.Title);

            liveMayStart.SetResult();
            await ClientHarness.EventuallyAsync(() => alice.PendingCount == 0 && alice.Status == ClientStatus.Live, "everything is confirmed");
            Assert.Equal("Answer lost", alice.Issue("i1")?.Title);
            using SyncApi api = server.Api("alice");
            await ServerTruth.AssertConfirmedEqualsServerAsync(alice, api);
        }
    }
}
