using System.Diagnostics.Metrics;

namespace Tether.LiveStore.Internal;

/// <summary>The meter <c>Tether.LiveStore</c>.</summary>
internal sealed class LiveStoreMetrics
{
    public const string MeterName = "Tether.LiveStore";

    public LiveStoreMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        Pushes = meter.CreateCounter<long>("tether.livestore.pushes", description: "LiveStore pushes, by outcome (Accepted, ServerAhead, BackendIdMismatch, failed).");
        EventsPushed = meter.CreateCounter<long>("tether.livestore.events.pushed", description: "Events accepted from LiveStore clients.");
        EventsDelivered = meter.CreateCounter<long>("tether.livestore.events.delivered", description: "Events sent to live LiveStore pulls.");
        Pulls = meter.CreateCounter<long>("tether.livestore.pulls", description: "LiveStore pulls answered.");
        Connections = meter.CreateUpDownCounter<long>("tether.livestore.connections", description: "Open LiveStore WebSocket connections.");
    }

    public Counter<long> Pushes { get; }
    public Counter<long> EventsPushed { get; }
    public Counter<long> EventsDelivered { get; }
    public Counter<long> Pulls { get; }
    public UpDownCounter<long> Connections { get; }
}
