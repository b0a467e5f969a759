using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using IssueTracker;
using Tether.Client;

namespace Tether.Bench;

/// <summary>An issue as the server sends it: the shape the sample's board reads (IssueTracker.Web's <c>Issue</c>),
/// which lives in the WebAssembly project and so cannot be referenced from here.</summary>
internal sealed record BenchIssue(
    string Id, string ProjectId, string TeamId, string Title,
    string? Description = null, string? Status = null, string? CreatedBy = null, string? CreatedAt = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BenchIssue))]
internal sealed partial class ClientScaleJson : JsonSerializerContext;

/// <summary>One live query of the mix: its filter (also used to tell which queries an edit must reach) and how it is
/// built; a query whose filter is an equality on a field is built with <c>WhereEquals</c>, as an app would.</summary>
internal sealed record QueryShape(string Name, Func<BenchIssue, bool> Filter, Func<ILiveQuery<BenchIssue>, ILiveQuery<BenchIssue>> Build);

/// <summary>
/// The ten live queries an issue tracker's screens keep open at once. The sample's issues carry project, team,
/// title, description, status and creator, so the mix filters on those (there is no assignee, priority or
/// update stamp): several hold almost every issue, some few, one a single issue, one none.
/// </summary>
internal static class ClientScaleQueries
{
    public static QueryShape[] Mix(string projectId, string userId, string oneIssueId) =>
    [
        new("project, by title", i => i.ProjectId == projectId, q => q.WhereEquals(i => i.ProjectId, projectId).OrderBy(i => i.Title)),
        new("not done, by title", i => i.Status != IssueStatus.Done, q => q.Where(i => i.Status != IssueStatus.Done).OrderBy(i => i.Title)),
        new("doing, by title", i => i.Status == IssueStatus.Doing, q => q.WhereEquals(i => i.Status, IssueStatus.Doing).OrderBy(i => i.Title)),
        new("done, newest first", i => i.Status == IssueStatus.Done, q => q.WhereEquals(i => i.Status, IssueStatus.Done).OrderByDescending(i => i.CreatedAt)),
        new("created by me, newest first", i => i.CreatedBy == userId, q => q.WhereEquals(i => i.CreatedBy, userId).OrderByDescending(i => i.CreatedAt).OrderBy(i => i.Id)),
        new("board: project, oldest first", i => i.ProjectId == projectId, q => q.WhereEquals(i => i.ProjectId, projectId).OrderBy(i => (i.CreatedAt ?? "", i.Id))),
        new("title search \"42\"", i => i.Title.Contains("42", StringComparison.Ordinal), q => q.Where(i => i.Title.Contains("42", StringComparison.Ordinal)).OrderBy(i => i.Title)),
        new("edited, by title", i => i.Title.StartsWith("Edited ", StringComparison.Ordinal), q => q.Where(i => i.Title.StartsWith("Edited ", StringComparison.Ordinal)).OrderBy(i => i.Title)),
        new("one issue", i => i.Id == oneIssueId, q => q.WhereEquals(i => i.Id, oneIssueId)),
        new("another project", i => i.ProjectId == "elsewhere", q => q.WhereEquals(i => i.ProjectId, "elsewhere").OrderBy(i => i.Title)),
    ];
}

/// <summary>
/// One open live query and when its <c>Changed</c> handler ran: the first and the last time since
/// <see cref="Arm"/>. The handler only takes the time and signals; everything else happens off the clock.
/// </summary>
internal sealed class QueryProbe : IDisposable
{
    private readonly ChannelWriter<bool> _signals;
    private long _first;
    private long _last;
    private int _count;

    public QueryProbe(TetherClient client, QueryShape shape, ChannelWriter<bool> signals)
    {
        Shape = shape;
        _signals = signals;
        Query = shape.Build(client.Query(IssueTrackerModels.Issue, ClientScaleJson.Default.BenchIssue));
        Query.Changed += OnChanged;
    }

    public QueryShape Shape { get; }

    public ILiveQuery<BenchIssue> Query { get; }

    public long FirstChanged => Volatile.Read(ref _first);

    public long LastChanged => Volatile.Read(ref _last);

    public int ChangedCount => Volatile.Read(ref _count);

    public void Arm()
    {
        Volatile.Write(ref _first, 0);
        Volatile.Write(ref _last, 0);
        Volatile.Write(ref _count, 0);
    }

    /// <summary>Throws unless the result shows every edited issue that passes the filter, as edited, and none that
    /// does not.</summary>
    public void Verify(IReadOnlyDictionary<string, BenchIssue> edited)
    {
        int shown = 0;
        foreach (BenchIssue issue in Query.Current)
        {
            if (edited.TryGetValue(issue.Id, out BenchIssue? expected))
            {
                if (issue != expected)
                {
                    throw new InvalidOperationException($"Query '{Shape.Name}' shows {issue}, not {expected}.");
                }
                shown++;
            }
        }
        int expectedShown = edited.Values.Count(Shape.Filter);
        if (shown != expectedShown)
        {
            throw new InvalidOperationException($"Query '{Shape.Name}' shows {shown} of the edited issues, not {expectedShown}.");
        }
    }

    public void Dispose()
    {
        Query.Changed -= OnChanged;
        Query.Dispose();
    }

    private void OnChanged(object? sender, EventArgs e)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _first, now, 0);
        Volatile.Write(ref _last, now);
        Interlocked.Increment(ref _count);
        _signals.TryWrite(true);
    }
}
