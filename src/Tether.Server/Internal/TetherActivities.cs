using System.Diagnostics;

namespace Tether.Server.Internal;

/// <summary>The server's spans (<see cref="TetherTelemetry.ActivitySourceName"/>); each costs nothing unless a listener
/// samples it.</summary>
internal static class TetherActivities
{
    public static readonly ActivitySource Source = new(TetherTelemetry.ActivitySourceName, typeof(TetherActivities).Assembly.GetName().Version?.ToString());

    /// <summary>A push: under the current span (the HTTP request's, when ASP.NET Core traces it), or else under the
    /// client's span named by its <c>traceparent</c> header.</summary>
    public static Activity? StartPush(string? traceParent, string? traceState)
    {
        if (Activity.Current is null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext client))
        {
            return Source.StartActivity("tether.push", ActivityKind.Server, client);
        }
        return Source.StartActivity("tether.push", ActivityKind.Internal);
    }

    /// <summary>A span that starts a trace of its own, linked to the spans it serves (a commit to its pushes, a fan-out
    /// to its commits).</summary>
    public static Activity? StartLinked(string name, IEnumerable<ActivityContext> serves)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        ActivityLink[] links = [.. serves.Where(context => context != default).Select(context => new ActivityLink(context))];
        return Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links);
    }
}
