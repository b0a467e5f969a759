namespace Tether.Server;

/// <summary>
/// The names under which the server reports itself, for an OpenTelemetry setup (or any listener):
/// <c>.AddSource(TetherTelemetry.ActivitySourceName)</c> and <c>.AddMeter(TetherTelemetry.MeterNames)</c>.
/// </summary>
public static class TetherTelemetry
{
    /// <summary>Traces: <c>tether.push</c> (a client's push, a child of the client's own span when the request carries
    /// its <c>traceparent</c>), <c>tether.commit</c> (one durable commit, linked to each push it carries),
    /// <c>tether.fanout</c> (new sync actions handed to the live connections, linked to the commits of this node it
    /// publishes) and <c>tether.deliver</c> (one connection's frames, a child of its fan-out).</summary>
    public const string ActivitySourceName = "Tether.Server";

    /// <summary>Every meter of the server and its stores: the server's own, PostgreSQL's sequencer, LiveStore's.</summary>
    public static IReadOnlyList<string> MeterNames { get; } = ["Tether.Server", "Tether.Server.PostgreSql", "Tether.LiveStore"];
}
