using System.Text.Json.Nodes;
using Tether.Client.Tests.Queries;
using Tether.Mutators;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using Tether.TestHost;
using Record = Tether.Mutators.Record;

namespace Tether.Client.Tests;

/// <summary>The typed helpers of <see cref="TypedMutations"/> on a client's optimistic view, and against the server
/// running the same mutators (see also the server's TypedMutationTests).</summary>
public sealed class TypedMutationTests
{
    private static Task<OfflineClient> ClientAsync() => OfflineClient.StartAsync(mutators: TypedIssues.All);

    private static JsonObject Shown(OfflineClient client, string id)
        => JsonNode.Parse(client.ShownJson(id) ?? throw new InvalidOperationException($"The client shows no issue '{id}'."))!.AsObject();

    private static JsonObject Issue(string id, string teamId, string title, string status)
        => new() { ["id"] = id, ["projectId"] = "p", ["teamId"] = teamId, ["title"] = title, ["status"] = status, ["createdBy"] = "someone" };

    [Fact]
    public async Task A_typed_insert_and_a_typed_move_write_the_same_json_on_the_client_as_on_the_server_and_the_same_groups()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = tether => Tether.Server.TetherServerBuilderExtensions.AddMutators(tether, TypedIssues.All) });
        using SyncApi alice = server.Api("alice");
        OfflineClient client = await ClientAsync();
        (string Name, object Args)[] mutations =
        [
            (TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Both sides", priority = 3 }),
            (TypedIssues.Update, new { id = "i1", teamId = "t2", title = "Moved" }),
        ];

        for (int i = 0; i < mutations.Length; i++)
        {
            (string name, object args) = mutations[i];
            await alice.ApplyAsync("alice-1", i + 1, name, args);
            await client.RunAsync(name, args);

            await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
            Record stored = (await snapshot.GetRecordAsync("issue", "i1", CancellationToken.None))!;
            Assert.Equal(stored.Data.ToJsonString(), client.ShownJson("i1"));
            Assert.Equal(stored.SyncGroups, TypedIssues.Model.GroupsOf(Shown(client, "i1")));
        }
    }

    [Fact]
    public async Task A_typed_update_on_the_client_changes_only_the_fields_it_set_and_keeps_the_ones_the_entity_does_not_know()
    {
        OfflineClient client = await ClientAsync();
        await client.BootstrapAsync(eager: true, [Issue("i1", "t1", "Title", "todo")]);

        await client.RunAsync(TypedIssues.Update, new { id = "i1", status = "doing" });

        // No description or priority appear: the entity reads them as null and 0 and the update left them so.
        Assert.True(JsonNode.DeepEquals(Issue("i1", "t1", "Title", "doing"), Shown(client, "i1")), client.ShownJson("i1"));
    }

    [Fact]
    public async Task A_pending_typed_update_and_another_clients_edit_of_another_field_both_show()
    {
        OfflineClient client = await ClientAsync();
        await client.BootstrapAsync(eager: true, [Issue("i1", "t1", "Old title", "todo")]);
        await client.RunAsync(TypedIssues.Update, new { id = "i1", title = "My title" });

        // The server confirms another client's status change first; the pending edit is replayed on top of it.
        await client.FrameAsync(("i1", Issue("i1", "t1", "Old title", "done")));

        JsonObject shown = Shown(client, "i1");
        Assert.Equal("My title", shown["title"]!.GetValue<string>());
        Assert.Equal("done", shown["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_typed_list_on_the_client_answers_only_the_records_the_rules_put_in_the_group()
    {
        OfflineClient client = await ClientAsync();
        // A client does not know the groups of its records and lists every issue it has; the rules sort them out.
        await client.BootstrapAsync(eager: true, [Issue("i1", "t1", "One", "todo"), Issue("i2", "t2", "Two", "todo"), Issue("i3", "t1", "Three", "doing")]);

        await client.RunAsync(TypedIssues.CloseAll, new { teamId = "t1" });

        Assert.Equal("done", Shown(client, "i1")["status"]!.GetValue<string>());
        Assert.Equal("todo", Shown(client, "i2")["status"]!.GetValue<string>());
        Assert.Equal("done", Shown(client, "i3")["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Typed_writes_on_the_client_refuse_what_the_server_refuses_and_a_typed_delete_removes_the_record()
    {
        OfflineClient client = await ClientAsync();
        await client.BootstrapAsync(eager: true, [Issue("i1", "t1", "One", "todo")]);

        var duplicate = await Assert.ThrowsAsync<MutationRejectedException>(() => client.RunAsync(TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Again" }));
        var missing = await Assert.ThrowsAsync<MutationRejectedException>(() => client.RunAsync(TypedIssues.Update, new { id = "nope", title = "Missing" }));
        await client.RunAsync(TypedIssues.Delete, new { id = "i1" });

        Assert.Equal("invalid_args", duplicate.Code);
        Assert.Equal("not_found", missing.Code);
        Assert.Null(client.ShownJson("i1"));
    }

    [Fact]
    public void A_model_given_no_name_is_named_after_its_type_in_camel_case()
    {
        var model = new SyncModel<TypedIssue>(TypedIssueJson.Default.TypedIssue, groups => groups.Column("team:", i => i.TeamId));

        Assert.Equal("typedIssue", model.Name);
    }
}
