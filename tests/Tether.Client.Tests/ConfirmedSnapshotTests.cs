using System.Text.Json;
using Tether.Mutators;

namespace Tether.Client.Tests;

public sealed class ConfirmedSnapshotTests
{
    [Fact]
    public async Task ConfirmedSnapshot_answers_while_a_mutation_holds_the_clients_lock()
    {
        var holding = new HoldingMutator();
        await using TetherClient client = await TetherClient.StartAsync(new TetherClientOptions
        {
            // Nothing listens there; the client is told it has no network, so it never tries.
            ServerUrl = new Uri("http://127.0.0.1:9/sync/"),
            UserId = "u",
            TokenProvider = _ => ValueTask.FromResult("unused"),
            Mutators = [holding],
        });
        client.SetNetworkAvailable(false);

        Task<MutationHandle> mutation = client.MutateAsync(HoldingMutator.MutatorName, JsonDocument.Parse("{}").RootElement);
        await holding.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // Run elsewhere, so that a snapshot that waited for the lock would fail the wait below instead of hanging here.
        Task<int> snapshot = Task.Run(() => client.ConfirmedSnapshot().Count);
        Assert.Equal(0, await snapshot.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(mutation.IsCompleted);

        holding.Release.SetResult();
        await mutation.WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Blocks inside its local run (which holds the client's lock) until released.</summary>
    private sealed class HoldingMutator : IMutator
    {
        public const string MutatorName = "hold";

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => MutatorName;

        public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task;
        }
    }
}
