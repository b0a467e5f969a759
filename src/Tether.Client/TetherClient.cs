using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Client.Internal;
using Tether.Client.Internal.Data;
using Tether.Client.Internal.Queries;
using Tether.Mutators;

namespace Tether.Client;

/// <summary>
/// A local copy of the server's data for one user, kept in sync: reads are local and instant, mutations apply at once
/// and reach the server in order (also after a restart), and the live stream keeps the copy current.
/// Start with <see cref="StartAsync"/>; dispose to stop.
/// </summary>
public sealed class TetherClient : IAsyncDisposable
{
    private readonly ClientEvents _events;
    private readonly ClientState _state;
    private readonly Applier _applier;
    private readonly ServerApi _api;
    private readonly SyncLoop _sync;
    private readonly PushLoop _push;
    private readonly CancellationTokenSource _stop = new();
    private readonly NetworkGate _network;
    private Task _syncLoop = Task.CompletedTask;
    private Task _pushLoop = Task.CompletedTask;

    private TetherClient(TetherClientOptions options)
    {
        _events = new ClientEvents(this, (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TetherClient>());
        // Without a handler of the app's, the platform's default: sockets on .NET, fetch in the browser (WebAssembly).
        HttpClient http = options.HttpHandler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        http.Timeout = Timeout.InfiniteTimeSpan;
        _api = new ServerApi(http, options);
        _state = new ClientState(options, _events);
        _network = new NetworkGate(options.NetworkAvailable);
        if (!options.NetworkAvailable)
        {
            _events.SetStatus(ClientStatus.Offline);
        }
        _applier = new Applier(_state, _events, options, _stop.Token);
        _sync = new SyncLoop(_state, _applier, _api, _events, _network, options, _stop.Token);
        _push = new PushLoop(_state, _applier, _api, _events, _network, options, _stop.Token);
    }

    /// <summary>This client's id, kept in the local store.</summary>
    public string ClientId => _state.Metadata.ClientId!;

    /// <summary>Where the client stands now; <see cref="StatusChanged"/> reports each change.</summary>
    public ClientStatus Status => _events.Status;

    /// <summary>Why the client is <see cref="ClientStatus.Failed"/> (or the last error it is retrying after).</summary>
    public Exception? Failure => _events.Failure;

    /// <summary>The position the confirmed data reflects: published with the data, so a reader who sees the
    /// position also sees the data it covers.</summary>
    public long LastSyncId => _state.Published.LastSyncId;

    /// <summary>Mutations not yet confirmed by the server.</summary>
    public int PendingCount => _state.PendingCount;

    /// <summary>Raised when <see cref="PendingCount"/> changes (a mutation queued, confirmed or refused).</summary>
    public event EventHandler<int>? PendingCountChanged
    {
        add => _events.PendingCountChanged += value;
        remove => _events.PendingCountChanged -= value;
    }

    /// <summary>Raised with the new <see cref="Status"/> each time it changes, on the thread that changed it.</summary>
    public event EventHandler<ClientStatus>? StatusChanged
    {
        add => _events.StatusChanged += value;
        remove => _events.StatusChanged -= value;
    }

    /// <summary>Raised when the server refused a mutation; the view no longer shows it.</summary>
    public event EventHandler<MutationRejectedEventArgs>? MutationRejected
    {
        add => _events.MutationRejected += value;
        remove => _events.MutationRejected -= value;
    }

    /// <summary>Rows received so far by a running bootstrap, raised on the sync loop while the rows are applied: a
    /// handler must not wait for one of this client's mutations (they wait for the bootstrap).</summary>
    public event EventHandler<long>? BootstrapProgress
    {
        add => _events.BootstrapProgress += value;
        remove => _events.BootstrapProgress -= value;
    }

    /// <summary>Loads local data (re-applying pending mutations), then syncs in the background: the client is usable
    /// at once, online or not.</summary>
    public static async Task<TetherClient> StartAsync(TetherClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new TetherClient(options);
        try
        {
            await client._applier.LoadAsync(cancellationToken);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        client._syncLoop = Task.Run(() => client._sync.RunAsync(client._stop.Token));
        client._pushLoop = Task.Run(() => client._push.RunAsync(client._stop.Token));
        return client;
    }

    /// <summary>Whether the device has a network, as the app last told the client.</summary>
    public bool IsNetworkAvailable => _network.IsAvailable;

    /// <summary>Tells the client whether the device has a network: the browser's <c>online</c>/<c>offline</c>
    /// events, a phone's connectivity API. Without one the client drops its connection at once (instead of after the
    /// live stream's silence timeout), shows <see cref="ClientStatus.Offline"/> and tries nothing; when it comes back
    /// the client connects and pushes immediately instead of waiting out its backoff. Mutations work either way.
    /// The client assumes a network until told otherwise.</summary>
    public void SetNetworkAvailable(bool available)
    {
        if (_network.Set(available))
        {
            ClientLog.NetworkChanged(_events.Logger, available);
            if (!available)
            {
                _events.SetStatus(ClientStatus.Offline);
            }
        }
    }

    /// <summary>Runs a mutator on the local view at once, keeps the mutation in the pending queue (it survives a
    /// restart) and queues it for the server. A mutation the mutator refuses locally throws
    /// <see cref="MutationRejectedException"/> and is neither kept nor sent. While a bootstrap's rows stream in, a
    /// mutation waits for them and runs on the new data.</summary>
    public async Task<MutationHandle> MutateAsync(string name, JsonElement args, CancellationToken cancellationToken = default)
    {
        MutationHandle handle = await _applier.RunLocallyAsync(name, args, cancellationToken);
        _push.Wake();
        return handle;
    }

    /// <summary>The typed form of <see cref="MutateAsync(string, JsonElement, CancellationToken)"/>.</summary>
    public Task<MutationHandle> MutateAsync<TArgs>(string name, TArgs args, JsonTypeInfo<TArgs> argsType, CancellationToken cancellationToken = default)
        => MutateAsync(name, JsonSerializer.SerializeToElement(args, argsType), cancellationToken);

    /// <summary>A shown record, or default when there is none.</summary>
    public T? Get<T>(string modelName, string id, JsonTypeInfo<T> type)
        => _state.Published.Model(modelName).Shown(id) is { } data ? JsonSerializer.Deserialize(data, type) : default;

    /// <summary>A live query over the shown records of a model.</summary>
    public ILiveQuery<T> Query<T>(string modelName, JsonTypeInfo<T> type) => new LiveQuery<T>(_state.Queries, modelName, type);

    /// <summary>The confirmed records (the server's data as of <see cref="LastSyncId"/>), without pending changes.
    /// Reads the published data: it never waits for the client's lock.</summary>
    public IReadOnlyDictionary<(string Model, string Id), JsonElement> ConfirmedSnapshot()
    {
        var records = new Dictionary<(string Model, string Id), JsonElement>();
        foreach ((string model, ModelData data) in _state.Published.Models)
        {
            foreach ((string id, byte[] json) in data.Confirmed)
            {
                records[(model, id)] = JsonElement.Parse(json);
            }
        }
        return records;
    }

    /// <summary>Stops syncing and pushing, disposes every live query and then the local store. Pending mutations
    /// stay in a persistent store and are sent by the next client started on it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        await AwaitStoppedAsync(_syncLoop);
        await AwaitStoppedAsync(_pushLoop);
        _state.Queries.DisposeAll();
        _api.Dispose();
        await _state.Store.DisposeAsync();
    }

    private static async Task AwaitStoppedAsync(Task loop)
    {
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // The loop ended because the client stopped.
        }
    }
}
