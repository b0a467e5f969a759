using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tether.Mutators;
using Record = Tether.Mutators.Record;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>The built-in <c>changes</c> mutator: record creates, updates and deletes, each allowed or refused by the
/// app's <see cref="IWritePolicy"/>, and refused when the app gave none.</summary>
public sealed class ChangesTests
{
    private static TestServerSettings WithPolicy(Action<TetherLimits>? limits = null) => new()
    {
        Tether = o => limits?.Invoke(o.Limits),
        Builder = tether => tether.Services.Replace(ServiceDescriptor.Singleton<IWritePolicy, OwnNotesPolicy>()),
    };

    private static JsonObject Changes(long id, params object[] changes) => M(id, "changes", new { changes });

    private static object Create(string id, object data) => new { action = "create", modelName = "note", modelId = id, data };

    private static object Update(string id, object data) => new { action = "update", modelName = "note", modelId = id, data };

    private static object Delete(string id) => new { action = "delete", modelName = "note", modelId = id };

    private static async Task<JsonElement> PushOneAsync(SyncApi api, string clientId, JsonObject mutation)
        => (await api.PushAsync(clientId, mutation)).GetProperty("results")[0];

    private static void AssertRejected(JsonElement result, string code)
    {
        Assert.True(result.GetProperty("status").GetString() == "rejected", $"expected a rejection, got {result}");
        Assert.Equal(code, result.GetProperty("error").GetProperty("code").GetString());
    }

    private static async Task<JsonElement?> NoteAsync(SyncApi api, string id)
    {
        JsonElement? last = null;
        foreach (JsonElement action in await api.AllActionsAsync())
        {
            if (action.ModelName() == "note" && action.ModelId() == id)
            {
                last = action;
            }
        }
        return last;
    }

    [Fact]
    public async Task Without_a_write_policy_every_change_is_refused_as_forbidden_and_nothing_is_written()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            // The app's policy is taken away again: the server runs with what AddTether registers when the app gives none.
            Builder = tether => tether.Services.Replace(new ServiceCollection().AddTether().Services.Single(d => d.ServiceType == typeof(IWritePolicy))),
        });
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1");
        await alice.ApplyAsync("setup", 3, "createIssue", new { id = "i1", projectId = "p1", title = "Written by a mutator" });
        long head = await alice.HeadAsync();

        AssertRejected(await PushOneAsync(alice, "c1", M(1, "changes", new { changes = new[] { new { action = "create", modelName = "issue", modelId = "i2", data = new { teamId = "t1", projectId = "p1", title = "T", status = "todo" } } } })), "forbidden");
        AssertRejected(await PushOneAsync(alice, "c1", M(2, "changes", new { changes = new[] { new { action = "update", modelName = "issue", modelId = "i1", data = new { title = "Renamed" } } } })), "forbidden");
        AssertRejected(await PushOneAsync(alice, "c1", M(3, "changes", new { changes = new[] { new { action = "delete", modelName = "issue", modelId = "i1" } } })), "forbidden");

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task A_create_an_update_and_a_delete_allowed_by_the_policy_are_written_with_the_policys_groups_and_defaults()
    {
        await using TestServer server = await TestServer.StartAsync(WithPolicy());
        using SyncApi alice = server.Api("alice");

        JsonElement created = await PushOneAsync(alice, "c1", Changes(1, Create("n1", new { text = "First" })));
        Assert.Equal("applied", created.GetProperty("status").GetString());
        JsonElement note = (await NoteAsync(alice, "n1"))!.Value;
        Assert.Equal("insert", note.GetProperty("action").GetString());
        Assert.Equal("First", note.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("plain", note.GetProperty("data").GetProperty("tag").GetString());
        Assert.Equal("alice", note.GetProperty("data").GetProperty(IWritePolicy.CreatedBy).GetString());

        Assert.Equal("applied", (await PushOneAsync(alice, "c1", Changes(2, Update("n1", new { text = "Second" })))).GetProperty("status").GetString());
        note = (await NoteAsync(alice, "n1"))!.Value;
        Assert.Equal("update", note.GetProperty("action").GetString());
        Assert.Equal("Second", note.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("plain", note.GetProperty("data").GetProperty("tag").GetString());

        Assert.Equal("applied", (await PushOneAsync(alice, "c1", Changes(3, Delete("n1")))).GetProperty("status").GetString());
        Assert.Equal("delete", (await NoteAsync(alice, "n1"))!.Value.GetProperty("action").GetString());

        // The policy's groups decide who reads the record: another user never saw it.
        using SyncApi bob = server.Api("bob");
        Assert.Null(await NoteAsync(bob, "n1"));
    }

    [Fact]
    public async Task A_change_the_policy_refuses_is_answered_with_its_error_and_writes_nothing_of_its_mutation()
    {
        await using TestServer server = await TestServer.StartAsync(WithPolicy());
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        Assert.Equal("applied", (await PushOneAsync(alice, "a1", Changes(1, Create("n1", new { text = "Alice's" })))).GetProperty("status").GetString());
        long head = await alice.HeadAsync();

        // Bob's mutation creates a note of his own, then changes alice's: the policy refuses the second change, and
        // the first is not written either.
        AssertRejected(await PushOneAsync(bob, "b1", Changes(1, Create("n2", new { text = "Bob's" }), Update("n1", new { text = "Taken over" }))), "forbidden");
        AssertRejected(await PushOneAsync(bob, "b1", Changes(2, Delete("n1"))), "forbidden");
        AssertRejected(await PushOneAsync(bob, "b1", M(3, "changes", new { changes = new[] { new { action = "create", modelName = "secret", modelId = "s1", data = new { text = "x" } } } })), "forbidden");

        Assert.Equal(head, await alice.HeadAsync());
        Assert.Equal("Alice's", (await NoteAsync(alice, "n1"))!.Value.GetProperty("data").GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("""{"changes":[]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"upsert","modelName":"note","modelId":"n1","data":{"text":"x"}}]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"create","modelName":"note","modelId":"n1"}]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"update","modelName":"note","modelId":"n1"}]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"create","modelName":"","modelId":"n1","data":{"text":"x"}}]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"create","modelName":"note","modelId":"","data":{"text":"x"}}]}""", "invalid_args")]
    [InlineData("""{"changes":[{"action":"update","modelName":"note","modelId":"missing","data":{"text":"x"}}]}""", "not_found")]
    [InlineData("""{"changes":[{"action":"delete","modelName":"note","modelId":"missing"}]}""", "not_found")]
    public async Task A_malformed_change_or_a_change_of_a_missing_record_is_refused_and_writes_nothing(string args, string code)
    {
        await using TestServer server = await TestServer.StartAsync(WithPolicy());
        using SyncApi alice = server.Api("alice");
        long head = await alice.HeadAsync();

        AssertRejected(await PushOneAsync(alice, "c1", new JsonObject { ["id"] = 1, ["name"] = "changes", ["args"] = JsonNode.Parse(args) }), code);

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task One_mutation_carries_at_most_a_thousand_changes()
    {
        await using TestServer server = await TestServer.StartAsync(WithPolicy());
        using SyncApi alice = server.Api("alice");

        JsonElement thousand = await PushOneAsync(alice, "c1", Changes(1, [.. Enumerable.Range(0, 1_000).Select(i => Create("n" + i, new { text = "x" }))]));
        AssertRejected(await PushOneAsync(alice, "c1", Changes(2, [.. Enumerable.Range(0, 1_001).Select(i => Create("m" + i, new { text = "x" }))])), "invalid_args");

        Assert.Equal("applied", thousand.GetProperty("status").GetString());
        Assert.DoesNotContain(await alice.AllActionsAsync(), a => a.ModelId().StartsWith('m'));
    }

    [Fact]
    public async Task A_record_larger_than_MaxRecordBytes_is_refused_on_create_and_when_an_update_would_make_it_so()
    {
        await using TestServer server = await TestServer.StartAsync(WithPolicy(limits => limits.MaxRecordBytes = 1_000));
        using SyncApi alice = server.Api("alice");
        Assert.Equal("applied", (await PushOneAsync(alice, "c1", Changes(1, Create("small", new { text = new string('s', 600) })))).GetProperty("status").GetString());
        long head = await alice.HeadAsync();

        AssertRejected(await PushOneAsync(alice, "c1", Changes(2, Create("big", new { text = new string('b', 1_000) }))), "invalid_args");
        // The patch alone is small; the record after it is not.
        AssertRejected(await PushOneAsync(alice, "c1", Changes(3, Update("small", new { tag = new string('t', 500) }))), "invalid_args");

        Assert.Equal(head, await alice.HeadAsync());
    }

    /// <summary>Notes: each user writes their own (group <c>user:&lt;id&gt;</c>), with a <c>text</c> and a
    /// <c>tag</c> that defaults to "plain"; no other model may be written.</summary>
    private sealed class OwnNotesPolicy : IWritePolicy
    {
        public IReadOnlySet<string> FieldsOf(string modelName) => new HashSet<string> { "text", "tag" };

        public ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken)
        {
            RequireNote(modelName);
            data["tag"] ??= "plain";
            return ValueTask.FromResult<IReadOnlyCollection<string>>(["user:" + context.UserId]);
        }

        public ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken)
        {
            RequireOwn(context, existing);
            return ValueTask.CompletedTask;
        }

        public ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken)
        {
            RequireOwn(context, existing);
            return ValueTask.CompletedTask;
        }

        private static void RequireNote(string modelName)
        {
            if (modelName != "note")
            {
                throw MutationRejectedException.Forbidden("Only notes may be written.");
            }
        }

        private static void RequireOwn(IMutationContext context, Record existing)
        {
            RequireNote(existing.ModelName);
            if (existing.Data[IWritePolicy.CreatedBy]?.GetValue<string>() != context.UserId)
            {
                throw MutationRejectedException.Forbidden("Only the note's author may change it.");
            }
        }
    }
}
