namespace Tether.Client;

/// <summary>The name under which the client reports its spans, for an OpenTelemetry setup (or any listener):
/// <c>.AddSource(TetherClientTelemetry.ActivitySourceName)</c>.</summary>
public static class TetherClientTelemetry
{
    /// <summary><c>tether.client.push</c>: one push of pending mutations. Its HTTP request carries the span as
    /// <c>traceparent</c>, so the server's <c>tether.push</c>, and through its links the commit, fan-out and
    /// deliveries, join the same trace.</summary>
    public const string ActivitySourceName = "Tether.Client";
}
