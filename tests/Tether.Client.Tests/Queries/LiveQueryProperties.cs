using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Client.Tests.Queries;

/// <summary>
/// Live queries are kept up to date incrementally. Whatever happens to the data — server frames, local mutations,
/// refusals and the rebases they cause, eager and lazy bootstraps — every observed query must show exactly what
/// evaluating it from scratch on the same data shows, and must notify exactly when its result changed.
/// </summary>
public sealed class LiveQueryProperties
{
    private static readonly string[] Projects = ["p0", "p1", "p2"];
    // Few titles, so that orderings have many ties and the id must break them.
    private static readonly string[] Titles = ["alpha", "beta", "gamma", "delta"];
    private static readonly string[] Statuses = ["todo", "doing", "done"];

    /// <summary>The queries under test, built on a root query: the client's own (observed, incremental, indexed) or
    /// one evaluated from scratch without indexes.</summary>
    private static readonly Func<ILiveQuery<Issue>, ILiveQuery<Issue>>[] Shapes =
    [
        q => q,
        q => q.Where(i => i.Status != "done").OrderBy(i => i.Title),
        q => q.WhereEquals(i => i.ProjectId, "p1").OrderByDescending(i => i.Title),
        q => q.WhereEquals(i => i.Status, "todo").OrderBy(i => i.ProjectId).OrderByDescending(i => i.Title),
        q => q.Where(i => i.Title.Length % 2 == 0).WhereEquals(i => i.ProjectId, "p0"),
        q => q.OrderByDescending(i => i.Status).OrderBy(i => i.Title),
    ];

    [Fact]
    public async Task Incremental_results_always_equal_a_from_scratch_evaluation_and_notify_exactly_when_they_change()
    {
        for (int seed = 1; seed <= 40; seed++)
        {
            await RunAsync(seed, steps: 150, records: 24, largestFrame: 5);
        }
    }

    /// <summary>Results of hundreds of rows span several chunks, which splits and empties as rows come and go.</summary>
    [Fact]
    public async Task Large_results_stay_equal_to_a_from_scratch_evaluation()
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            await RunAsync(seed, steps: 200, records: 1_000, largestFrame: 60);
        }
    }

    private static async Task RunAsync(int seed, int steps, int records, int largestFrame)
    {
        string[] ids = [.. Enumerable.Range(0, records).Select(i => "i" + i)];
        var random = new Random(seed);
        OfflineClient client = await OfflineClient.StartAsync(indexes: [new LocalIndex("issue", "projectId")]);
        var observed = new List<(ILiveQuery<Issue> Query, Func<ILiveQuery<Issue>, ILiveQuery<Issue>> Shape, int[] Notified)>();
        foreach (Func<ILiveQuery<Issue>, ILiveQuery<Issue>> shape in Shapes)
        {
            ILiveQuery<Issue> query = shape(client.Issues());
            int[] notified = [0];
            query.Changed += (_, _) => notified[0]++;
            observed.Add((query, shape, notified));
        }
        var pending = new List<long>();
        for (int step = 0; step < steps; step++)
        {
            string[] before = [.. observed.Select(o => Text(o.Query.Current))];
            int[] notifiedBefore = [.. observed.Select(o => o.Notified[0])];
            string what = await StepAsync(client, random, pending, ids, largestFrame);
            AssertIndexIsExact(client, $"seed {seed}, step {step} ({what})");
            for (int q = 0; q < observed.Count; q++)
            {
                string expected = Text(observed[q].Shape(client.IssuesWithoutIndexes()).Current);
                IReadOnlyList<Issue> current = observed[q].Query.Current;
                string actual = Text(current);
                Assert.True(current.Select((row, i) => ReferenceEquals(row, current[i])).All(same => same), $"seed {seed}, step {step}: the indexer disagrees with the enumeration");
                string context = $"seed {seed}, step {step} ({what}), query {q}";
                Assert.True(expected == actual, $"{context}: incremental {actual} != from scratch {expected}");
                bool changed = before[q] != actual;
                int notifications = observed[q].Notified[0] - notifiedBefore[q];
                Assert.True(notifications == (changed ? 1 : 0), $"{context}: {notifications} notifications for a result that {(changed ? "changed" : "did not change")}");
            }
        }
    }

    /// <summary>The projectId index names exactly the shown issues with each value: no stale id, none missing.</summary>
    private static void AssertIndexIsExact(OfflineClient client, string context)
    {
        Internal.Data.ModelData issues = client.State.Published.Model("issue");
        foreach (string project in Projects)
        {
            string[] expected = [.. issues.ShownRecords().Where(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("projectId").GetString() == project).Select(r => r.Key).Order(StringComparer.Ordinal)];
            string[] indexed = [.. (issues.Lookup("projectId", project) ?? []).Order(StringComparer.Ordinal)];
            Assert.True(expected.SequenceEqual(indexed), $"{context}: index of {project} holds [{string.Join(",", indexed)}], the data [{string.Join(",", expected)}]");
        }
    }

    private static async Task<string> StepAsync(OfflineClient client, Random random, List<long> pending, string[] ids, int largestFrame)
    {
        int roll = random.Next(100);
        if (roll < 35)
        {
            var changes = new (string, JsonObject?)[random.Next(1, largestFrame + 1)];
            for (int i = 0; i < changes.Length; i++)
            {
                changes[i] = (Pick(random, ids), random.Next(5) == 0 ? null : RandomIssue(random, Pick(random, ids)));
                changes[i].Item2?.Remove("id");
                changes[i].Item2?.Insert(0, "id", changes[i].Item1);
            }
            await client.FrameAsync(changes);
            return $"frame of {changes.Length}";
        }
        if (roll < 65)
        {
            try
            {
                MutationHandle handle = random.Next(4) == 0
                    ? await client.DeleteAsync(Pick(random, ids))
                    : await client.PutAsync(Pick(random, ids), Pick(random, Projects), Pick(random, Titles), Pick(random, Statuses));
                pending.Add(handle.Id);
                return "local mutation";
            }
            catch (MutationRejectedException)
            {
                return "local mutation refused locally";
            }
        }
        if (roll < 80 && pending.Count > 0)
        {
            long id = pending[random.Next(pending.Count)];
            pending.Remove(id);
            if (random.Next(2) == 0)
            {
                await client.RefuseAsync(id);
                return $"refusal of {id}";
            }
            await client.AcceptAsync(id);
            return $"acceptance of {id}";
        }
        if (roll < 90)
        {
            await client.FrameAsync();
            return "empty frame";
        }
        bool eager = random.Next(2) == 0;
        JsonObject[] rows = [.. ids.Where(_ => random.Next(3) == 0).Select(id => RandomIssue(random, id))];
        await client.BootstrapAsync(eager, rows);
        return $"{(eager ? "eager" : "lazy")} bootstrap of {rows.Length}";
    }

    private static JsonObject RandomIssue(Random random, string id)
        => OfflineClient.IssueJson(id, Pick(random, Projects), Pick(random, Titles), Pick(random, Statuses));

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Text(IReadOnlyList<Issue> rows) => JsonSerializer.Serialize(rows.ToArray(), TestJson.Default.IssueArray);
}
