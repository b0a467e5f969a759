using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Client.Internal;
using Tether.Mutators;

namespace Tether.Client;

/// <summary>
/// A local copy of the server's data for one user, kept in sync: reads are local and instant, mutations apply at once
/// and reach the server in order (also after a restart), and the live stream keeps the copy current.
/// Start with <see cref="StartAsync"/>; dispose to stop.
/// </summary>
public sealed partial class TetherClient : IAsyncDisposable
{
    private readonly TetherClientOptions _options;
    private readonly ILocalStore _store;
    private readonly ServerApi _api;
    private readonly OptimisticView _view;
    private readonly PublishedData _published = new();
    private readonly QueryHub _queries;
    private readonly ILogger _logger;
    // Serialises every change of the view, the pending queue, the metadata and the store.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<PendingEntry> _pending = [];
    private readonly Channel<bool> _pushWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly NetworkGate _network = new();
    private LocalMetadata _metadata = new();
    private HashSet<string> _changedModels = new(StringComparer.Ordinal);
    private Task _syncLoop = Task.CompletedTask;
    private Task _pushLoop = Task.CompletedTask;
    private readonly Lock _statusLock = new();
    private ClientStatus _status = ClientStatus.Starting;

    private TetherClient(TetherClientOptions options)
    {
        _options = options;
        _store = options.Store;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TetherClient>();
        // Without a handler of the app's, the platform's default: sockets on .NET, fetch in the browser (WebAssembly).
        HttpClient http = options.HttpHandler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        http.Timeout = Timeout.InfiniteTimeSpan;
        _api = new ServerApi(http, options);
        _view = new OptimisticView(new MutatorRegistry(options.Mutators), options.UserId);
        _queries = new QueryHub(_published, e => LogHandlerFailed(e));
    }

    /// <summary>This client's id, kept in the local store.</summary>
    public string ClientId => _metadata.ClientId!;

    /// <summary>Where the client stands now; <see cref="StatusChanged"/> reports each change.</summary>
    public ClientStatus Status => _status;

    /// <summary>Why the client is <see cref="ClientStatus.Failed"/> (or the last error it is retrying after).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The position the confirmed data reflects.</summary>
    public long LastSyncId => Volatile.Read(ref _visibleLastSyncId);

    // The position of the data readers can see: moved when the gate is released, after the data was published, so
    // that a reader who sees the position also sees the data it covers (found by a test that read them in between).
    private long _visibleLastSyncId;

    /// <summary>Mutations not yet confirmed by the server.</summary>
    public int PendingCount => Volatile.Read(ref _pendingCount);

    private int _pendingCount;
    private bool _pendingCountChanged;

    /// <summary>Raised when <see cref="PendingCount"/> changes (a mutation queued, confirmed or refused).</summary>
    public event EventHandler<int>? PendingCountChanged;

    /// <summary>Records the queue's new length (gate held); the event is raised when the gate is released.</summary>
    private void PendingChanged()
    {
        if (_pending.Count != _pendingCount)
        {
            Volatile.Write(ref _pendingCount, _pending.Count);
            _pendingCountChanged = true;
        }
    }

    /// <summary>Raised with the new <see cref="Status"/> each time it changes, on the thread that changed it.</summary>
    public event EventHandler<ClientStatus>? StatusChanged;

    /// <summary>Raised when the server refused a mutation; the view no longer shows it.</summary>
    public event EventHandler<MutationRejectedEventArgs>? MutationRejected;

    /// <summary>Rows received so far by a running bootstrap.</summary>
    public event EventHandler<long>? BootstrapProgress;

    /// <summary>Loads local data (re-applying pending mutations), then syncs in the background: the client is usable
    /// at once, online or not.</summary>
    public static async Task<TetherClient> StartAsync(TetherClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new TetherClient(options);
        try
        {
            await client.LoadAsync(cancellationToken);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        client._syncLoop = Task.Run(() => client.RunSyncAsync(client._stop.Token));
        client._pushLoop = Task.Run(() => client.RunPushAsync(client._stop.Token));
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
            LogNetworkChanged(available);
            if (!available)
            {
                SetStatus(ClientStatus.Offline);
            }
        }
    }

    /// <summary>Runs a mutator on the local view at once, keeps the mutation in the pending queue (it survives a
    /// restart) and queues it for the server. A mutation the mutator refuses locally throws
    /// <see cref="MutationRejectedException"/> and is neither kept nor sent.</summary>
    public async Task<MutationHandle> MutateAsync(string name, JsonElement args, CancellationToken cancellationToken = default)
    {
        MutationHandle handle;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            var touched = new HashSet<(string Model, string Id)>();
            DateTimeOffset now = DateTimeOffset.UtcNow;
            Exception? refused = await _view.TryRunAsync(name, args, now, touched);
            if (refused is not null)
            {
                throw refused as MutationRejectedException ?? new MutationRejectedException(Protocol.ErrorCodes.Internal, $"Mutator '{name}' failed locally: {refused.Message}");
            }
            long id = _metadata.NextMutationId;
            handle = new MutationHandle(id);
            var entry = new PendingEntry(id, name, args.Clone(), handle, now);
            LocalMetadata metadata = _metadata with { NextMutationId = id + 1 };
            try
            {
                await _store.WriteAsync(new LocalWrite { AddPending = [entry.ToStored()], Metadata = metadata }, cancellationToken);
            }
            catch
            {
                // Not kept means not shown: take its effect off the view again.
                await _view.RebaseAsync(_pending, touched);
                Publish(touched);
                throw;
            }
            _metadata = metadata;
            _pending.Add(entry);
            PendingChanged();
            Publish(touched);
            _options.FaultPoint?.Invoke("after-persist-before-send");
            _pushWake.Writer.TryWrite(true);
        }
        finally
        {
            ReleaseGate();
        }
        return handle;
    }

    /// <summary>The typed form of <see cref="MutateAsync(string, JsonElement, CancellationToken)"/>.</summary>
    public Task<MutationHandle> MutateAsync<TArgs>(string name, TArgs args, JsonTypeInfo<TArgs> argsType, CancellationToken cancellationToken = default)
        => MutateAsync(name, JsonSerializer.SerializeToElement(args, argsType), cancellationToken);

    /// <summary>A shown record, or default when there is none.</summary>
    public T? Get<T>(string modelName, string id, JsonTypeInfo<T> type)
        => _published.Model(modelName).TryGetValue(id, out string? row) ? JsonSerializer.Deserialize(row, type) : default;

    /// <summary>A live query over the shown records of a model.</summary>
    public ILiveQuery<T> Query<T>(string modelName, JsonTypeInfo<T> type) => new LiveQuery<T>(_queries, modelName, type);

    /// <summary>The confirmed records (the server's data as of <see cref="LastSyncId"/>), without pending changes.</summary>
    public IReadOnlyDictionary<(string Model, string Id), JsonElement> ConfirmedSnapshot()
    {
        _gate.Wait();
        try
        {
            return _view.AllConfirmed().ToDictionary(r => (r.Model, r.Id), r => JsonElement.Parse(r.Data));
        }
        finally
        {
            _gate.Release();
        }
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
        _queries.DisposeAll();
        _api.Dispose();
        await _store.DisposeAsync();
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

    /// <summary>Moves the state machine; Failed is final (a new client is needed after fixing its cause).</summary>
    private void SetStatus(ClientStatus status, Exception? failure = null)
    {
        lock (_statusLock)
        {
            if (_status == ClientStatus.Failed)
            {
                return;
            }
            if (failure is not null)
            {
                Failure = failure;
            }
            if (_status == status)
            {
                return;
            }
            _status = status;
        }
        LogStatus(status);
        Raise(StatusChanged, status);
    }

    /// <summary>Raises an app event; an exception of an app handler is logged, never allowed to stop the client.</summary>
    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args)
    {
        if (handler is null)
        {
            return;
        }
        foreach (EventHandler<TArgs> one in handler.GetInvocationList().Cast<EventHandler<TArgs>>())
        {
            try
            {
                one(this, args);
            }
            catch (Exception e)
            {
                LogHandlerFailed(e);
            }
        }
    }

    /// <summary>Publishes the touched keys; the live queries of the models that really changed are refreshed when
    /// the gate is released, so app code in their handlers never runs while the client holds it.</summary>
    private void Publish(IEnumerable<(string Model, string Id)> touched)
        => _changedModels.UnionWith(_published.Update(_view, touched));

    /// <summary>Releases the gate, then refreshes the live queries of what changed while it was held.</summary>
    private void ReleaseGate()
    {
        Volatile.Write(ref _visibleLastSyncId, _metadata.LastSyncId);
        HashSet<string> changed = _changedModels;
        _changedModels = new HashSet<string>(StringComparer.Ordinal);
        bool pendingCountChanged = _pendingCountChanged;
        _pendingCountChanged = false;
        _gate.Release();
        _queries.Notify(changed);
        if (pendingCountChanged)
        {
            Raise(PendingCountChanged, PendingCount);
        }
    }
}
