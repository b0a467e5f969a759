using IssueTracker.Web.Services;
using Microsoft.AspNetCore.Components;
using Tether.Client;

namespace IssueTracker.Web.Components;

/// <summary>
/// A component that shows live queries: each query it watches re-renders it when the data changes (a local mutation,
/// another tab's change arriving live), and the queries are disposed with it so they stop following the client.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private readonly List<IDisposable> _queries = [];

    [Inject] protected TetherSession Session { get; set; } = default!;

    protected TetherClient? Client => Session.Client;

    /// <summary>Follows a query; its Changed comes from the sync loop's thread, hence InvokeAsync.</summary>
    protected ILiveQuery<T> Watch<T>(ILiveQuery<T> query)
    {
        query.Changed += OnQueryChanged;
        _queries.Add(query);
        return query;
    }

    /// <summary>Drops the current queries, e.g. when a route parameter names another record.</summary>
    protected void StopWatching()
    {
        foreach (IDisposable query in _queries)
        {
            query.Dispose();
        }
        _queries.Clear();
    }

    private void OnQueryChanged(object? sender, EventArgs e) => _ = InvokeAsync(StateHasChanged);

    public virtual void Dispose()
    {
        StopWatching();
        GC.SuppressFinalize(this);
    }
}
