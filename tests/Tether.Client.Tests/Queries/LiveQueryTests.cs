using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Tether.Client.Internal.Data;
using Tether.Client.Internal.Queries;

namespace Tether.Client.Tests.Queries;

public sealed class LiveQueryTests
{
    [Fact]
    public async Task Refreshing_one_record_reads_only_that_record_again()
    {
        OfflineClient client = await OfflineClient.StartAsync();
        await client.BootstrapAsync(eager: true, [.. Enumerable.Range(0, 1_000).Select(i => OfflineClient.IssueJson("i" + i, "p" + i % 3, "title " + i, "todo"))], rowsPerLine: 100);
        var counting = new CountingIssues();
        using ILiveQuery<Issue> open = new LiveQuery<Issue>(client.State.Queries, "issue", counting.TypeInfo).Where(i => i.Status != "done").OrderBy(i => i.Title);
        int notified = 0;
        open.Changed += (_, _) => notified++;
        Assert.Equal(1_000, counting.Reads);
        Assert.Equal(1_000, open.Current.Count);

        await client.FrameAsync(("i500", OfflineClient.IssueJson("i500", "p2", "a new title", "todo")));

        Assert.Equal(1_001, counting.Reads);
        Assert.Equal(1, notified);
        Assert.Equal("a new title", open.Current[0].Title);

        // A record that leaves the query is read once more, to see that its filter now refuses it.
        await client.FrameAsync(("i7", OfflineClient.IssueJson("i7", "p1", "title 7", "done")));
        Assert.Equal(1_002, counting.Reads);
        Assert.Equal(999, open.Current.Count);
        Assert.Equal(2, notified);

        // The same JSON again changes nothing: nothing is read and nobody is told.
        await client.FrameAsync(("i8", OfflineClient.IssueJson("i8", "p2", "title 8", "todo")));
        Assert.Equal(1_002, counting.Reads);
        Assert.Equal(2, notified);
    }

    [Fact]
    public async Task A_local_mutation_reads_only_the_records_it_wrote()
    {
        OfflineClient client = await OfflineClient.StartAsync();
        await client.BootstrapAsync(eager: true, [.. Enumerable.Range(0, 500).Select(i => OfflineClient.IssueJson("i" + i, "p0", "title " + i, "todo"))], rowsPerLine: 50);
        var counting = new CountingIssues();
        using ILiveQuery<Issue> open = new LiveQuery<Issue>(client.State.Queries, "issue", counting.TypeInfo).OrderBy(i => i.Title);
        open.Changed += (_, _) => { };
        int before = counting.Reads;

        await client.PutAsync("i3", "p0", "changed here", "doing");

        Assert.Equal(before + 1, counting.Reads);
        Assert.Contains(open.Current, i => i.Title == "changed here");
    }

    [Fact]
    public async Task An_indexed_equality_reads_only_the_records_with_that_value()
    {
        OfflineClient indexed = await OfflineClient.StartAsync(indexes: [new LocalIndex("issue", "projectId")]);
        OfflineClient plain = await OfflineClient.StartAsync();
        JsonObject[] rows = [.. Enumerable.Range(0, 300).Select(i => OfflineClient.IssueJson("i" + i, "p" + i % 30, "t", "todo"))];
        await indexed.BootstrapAsync(eager: true, rows, rowsPerLine: 64);
        await plain.BootstrapAsync(eager: true, rows, rowsPerLine: 64);
        var plan = QueryPlan<Issue>.Of("issue", TestJson.Default.Issue).WithEquality("projectId", "p7");

        Assert.Equal(10, plan.Candidates(indexed.State.Published.Model("issue")).Count());
        Assert.Equal(300, plan.Candidates(plain.State.Published.Model("issue")).Count());
        // The id is every model's key, indexed or not.
        var byId = QueryPlan<Issue>.Of("issue", TestJson.Default.Issue).WithEquality("id", "i42");
        Assert.Equal(["i42"], byId.Candidates(plain.State.Published.Model("issue")).Select(r => r.Key));
        Assert.Equal("i42", Assert.Single(plain.Issues().WhereEquals(i => i.Id, "i42").Current).Id);
        Assert.Equal(
            plain.Issues().WhereEquals(i => i.ProjectId, "p7").Current.Select(i => i.Id),
            indexed.Issues().WhereEquals(i => i.ProjectId, "p7").Current.Select(i => i.Id));
    }

    [Fact]
    public void Publishes_that_pile_up_before_a_notification_are_all_taken_into_the_result()
    {
        var hub = new QueryHub(e => throw e);
        using var query = new LiveQuery<Issue>(hub, "issue", TestJson.Default.Issue);
        int notified = 0;
        query.Changed += (_, _) => notified++;
        var view = new OptimisticView(new Mutators.MutatorRegistry([]), "u", []);

        view.SetConfirmed("issue", "a", Json(OfflineClient.IssueJson("a", "p", "first", "todo")));
        (ClientData first, IReadOnlyDictionary<string, ModelChange> firstChanges) = view.Publish(1);
        hub.Published(first, firstChanges);
        view.SetConfirmed("issue", "b", Json(OfflineClient.IssueJson("b", "p", "second", "todo")));
        view.SetConfirmed("issue", "a", Json(OfflineClient.IssueJson("a", "p", "first, edited", "todo")));
        (ClientData second, IReadOnlyDictionary<string, ModelChange> secondChanges) = view.Publish(2);
        hub.Published(second, secondChanges);
        hub.Notify();
        hub.Notify();

        Assert.Equal(["first, edited", "second"], query.Current.Select(i => i.Title).Order());
        Assert.Equal(1, notified);
    }

    private static byte[] Json(JsonObject record) => JsonSerializer.SerializeToUtf8Bytes(record);

    /// <summary>The issue type read through a converter that counts how often a record is read into it.</summary>
    private sealed class CountingIssues : JsonConverter<Issue>
    {
        public CountingIssues()
        {
            var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = TestJson.Default };
            options.Converters.Add(this);
            TypeInfo = (JsonTypeInfo<Issue>)options.GetTypeInfo(typeof(Issue));
        }

        public JsonTypeInfo<Issue> TypeInfo { get; }

        public int Reads { get; private set; }

        public override Issue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Reads++;
            return JsonSerializer.Deserialize(ref reader, TestJson.Default.Issue)!;
        }

        public override void Write(Utf8JsonWriter writer, Issue value, JsonSerializerOptions options)
            => JsonSerializer.Serialize(writer, value, TestJson.Default.Issue);
    }
}
