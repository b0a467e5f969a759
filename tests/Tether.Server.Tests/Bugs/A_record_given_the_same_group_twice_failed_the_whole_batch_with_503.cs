using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests.Bugs;

/// <summary>A mutator that named one sync group twice for a record made the store write that group twice, which
/// failed the whole commit batch with 503.</summary>
public sealed class A_record_given_the_same_group_twice_failed_the_whole_batch_with_503
{
    [Fact]
    public async Task A_record_given_one_group_twice_is_written_once_in_that_group()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = b => b.AddMutators([new TwiceGroupedMutator()]) });
        using SyncApi alice = server.Api("alice");

        JsonElement answer = await alice.PushAsync("c1", M(1, TwiceGroupedMutator.MutatorName, new { }));

        Assert.Equal("applied", answer.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Single(await alice.AllActionsAsync(), a => a.GetProperty("modelId").GetString() == "note-1");
    }

    /// <summary>Inserts a record whose group list names one group twice.</summary>
    private sealed class TwiceGroupedMutator : IMutator
    {
        public const string MutatorName = "twiceGrouped";

        public string Name => MutatorName;

        public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
            => context.InsertAsync("note", "note-1", new JsonObject { ["text"] = "x" }, ["user:" + context.UserId, "user:" + context.UserId], cancellationToken);
    }
}
