using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>An <c>await foreach</c> over <c>WatchAsync</c> kept waiting after its client was disposed, so the app's
/// loop never ended.</summary>
public sealed class Watching_a_live_query_never_ended_after_the_client_was_disposed
{
    [Fact]
    public async Task Watching_a_live_query_ends_when_its_client_is_disposed()
    {
        await using TestServer server = await TestServer.StartAsync();
        TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        var firstResult = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task watching = Task.Run(async () =>
        {
            await foreach (IReadOnlyList<Issue> _ in issues.WatchAsync())
            {
                firstResult.TrySetResult();
            }
        });
        await firstResult.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await alice.DisposeAsync();

        await watching.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
