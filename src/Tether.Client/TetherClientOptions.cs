using Microsoft.Extensions.Logging;
using Tether.Mutators;

namespace Tether.Client;

/// <summary>How a <see cref="TetherClient"/> reaches its server, who it is, and where it keeps its data.</summary>
public sealed class TetherClientOptions
{
    /// <summary>The server's sync base address, e.g. <c>http://localhost:5080/sync/</c>.</summary>
    public required Uri ServerUrl { get; set; }

    /// <summary>The signed-in user's id: mutators see it as <see cref="IMutationContext.UserId"/>, and local data
    /// of another user is never reused.</summary>
    public required string UserId { get; set; }

    /// <summary>Returns the bearer token; called again after the server answers 401.</summary>
    public required Func<CancellationToken, ValueTask<string>> TokenProvider { get; set; }

    /// <summary>The same mutators the server runs (for example the app's shared <c>AppMutators.All</c>).</summary>
    public required IEnumerable<IMutator> Mutators { get; set; }

    /// <summary>Where data, the pending queue and metadata live. In memory unless set.</summary>
    public ILocalStore Store { get; set; } = new InMemoryLocalStore();

    /// <summary>The app's schema version, sent as <c>Tether-Schema</c>. A change re-bootstraps and keeps pending mutations.</summary>
    public int SchemaVersion { get; set; } = 1;

    /// <summary>The models to bootstrap; null for every model the server offers.</summary>
    public IReadOnlyList<string>? Models { get; set; }

    /// <summary>The first wait before a reconnect or retry; each failure doubles it (with jitter) up to
    /// <see cref="MaxRetryDelay"/>. Also the pause before reconnecting after a live stream ended.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait the backoff between reconnects and retries grows to.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the live stream may stay silent before the connection is taken for dead (the server sends a
    /// heartbeat every 15 s by default).</summary>
    public TimeSpan LiveSilenceTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a push or delta request may take before it is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The string fields live queries look up by value (<see cref="ILiveQuery{T}.WhereEquals"/>), so that
    /// such a query finds its records without reading every record of the model. Each costs memory per record.</summary>
    public IReadOnlyList<LocalIndex> Indexes { get; set; } = [];

    /// <summary>Most mutations sent in one push.</summary>
    public int MaxPushBatch { get; set; } = 100;

    /// <summary>Which live transport to use: WebSocket first, Server-Sent Events when a WebSocket cannot be opened.</summary>
    public LiveTransport Transport { get; set; } = LiveTransport.Auto;

    /// <summary>Where the client logs its status changes, retries and failures; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The HTTP handler for every request (tests, proxies); the platform's default when null. The client
    /// does not dispose it.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether the device has a network when the client starts. Without one the client starts
    /// <see cref="ClientStatus.Offline"/> and makes no request until <see cref="TetherClient.SetNetworkAvailable"/>
    /// says it has one (a page opened offline: <c>navigator.onLine</c>).</summary>
    public bool NetworkAvailable { get; set; } = true;

    /// <summary>Test hook: called at named points ("after-persist-before-send", "after-receive-before-apply");
    /// throwing from it simulates the process dying there.</summary>
    internal Action<string>? FaultPoint { get; set; }

    /// <summary>Test hook: wraps every live channel the client opens (to duplicate, delay or cut frames).</summary>
    internal Func<Internal.ILiveChannel, Internal.ILiveChannel>? WrapLiveChannel { get; set; }
}

/// <summary>An index over one string field of a model's shown records.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Field">The field's JSON name, e.g. <c>projectId</c>.</param>
public sealed record LocalIndex(string ModelName, string Field);

/// <summary>The live transport of a client.</summary>
public enum LiveTransport
{
    /// <summary>WebSocket, falling back to Server-Sent Events when the WebSocket cannot be opened.</summary>
    Auto,

    /// <summary>WebSocket only; a WebSocket that cannot be opened is retried with backoff.</summary>
    WebSocket,

    /// <summary>Server-Sent Events only, for networks that refuse WebSocket upgrades.</summary>
    ServerSentEvents,
}
