using System.Text.Json;
using Microsoft.JSInterop;
using Tether.Client.Browser.Internal;

namespace Tether.Client.Browser;

/// <summary>
/// A client's local store in the browser's IndexedDB, for Blazor WebAssembly. Every <see cref="WriteAsync"/> is one
/// IndexedDB <c>readwrite</c> transaction and completes only once the transaction committed: a failed, aborted or
/// interrupted write leaves the database as it was before it. Data persists per origin and database name.
/// </summary>
/// <remarks>Cancellation is honoured until a write reaches the browser; a write already handed to IndexedDB
/// commits or fails as a whole regardless. Numbers (sync and mutation ids) travel as JavaScript numbers and so are
/// exact up to 2^53.</remarks>
public sealed class IndexedDbLocalStore : ILocalStore
{
    /// <summary>Where the module is served from by the static web assets of this library.</summary>
    public const string ModulePath = "./_content/Tether.Client.Browser/tether-idb.js";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IJSObjectReference _module;
    private readonly IJSObjectReference _database;
    private bool _disposed;

    private IndexedDbLocalStore(IJSObjectReference module, IJSObjectReference database, string databaseName)
    {
        _module = module;
        _database = database;
        DatabaseName = databaseName;
    }

    /// <summary>The IndexedDB database name.</summary>
    public string DatabaseName { get; }

    /// <summary>Imports the module and opens (creating or upgrading) the database <paramref name="databaseName"/>.
    /// Throws when the browser refuses it (private mode without IndexedDB, a newer schema, another tab blocking an
    /// upgrade).</summary>
    public static async Task<IndexedDbLocalStore> OpenAsync(IJSRuntime js, string databaseName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        IJSObjectReference module = await js.InvokeAsync<IJSObjectReference>("import", cancellationToken, ModulePath).ConfigureAwait(false);
        try
        {
            IJSObjectReference database = await module.InvokeAsync<IJSObjectReference>("open", cancellationToken, databaseName).ConfigureAwait(false);
            return new IndexedDbLocalStore(module, database, databaseName);
        }
        catch
        {
            await DisposeQuietlyAsync(module).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            string json = await _module.InvokeAsync<string>("loadJson", cancellationToken, _database).ConfigureAwait(false);
            SnapshotDto dto = JsonSerializer.Deserialize(json, IndexedDbJsonContext.Default.SnapshotDto)
                ?? throw new InvalidDataException("IndexedDB returned no snapshot.");
            return dto.ToSnapshot();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Adding a pending mutation whose id is already stored is an error (ids are never reused); the whole
    /// write is then aborted and an <see cref="InvalidOperationException"/> thrown.</remarks>
    public async ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        string json = JsonSerializer.Serialize(WriteDto.From(write), IndexedDbJsonContext.Default.WriteDto);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                await _module.InvokeVoidAsync("write", cancellationToken, _database, json).ConfigureAwait(false);
            }
            catch (JSException e) when (PendingConflict.Is(e))
            {
                throw PendingConflict.From(e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>An IndexedDB transaction cannot stay open across .NET's awaits, so each chunk is handed to the page
    /// (serialized once) and staged there; the commit writes the clear, the staged records and the last part in one
    /// <c>readwrite</c> transaction. Disposing the bulk write uncommitted drops the staged records. The store runs
    /// no other operation while the bulk write is open.</remarks>
    public async ValueTask<ILocalBulkWrite> BeginBulkWriteAsync(bool clearRecords, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            IJSObjectReference staged = await _module.InvokeAsync<IJSObjectReference>("beginBulk", cancellationToken, clearRecords).ConfigureAwait(false);
            return new IndexedDbBulkWrite(_module, _database, staged, () => _gate.Release());
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>Closes the database and releases the module.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                await _module.InvokeVoidAsync("close", _database).ConfigureAwait(false);
            }
            catch (JSDisconnectedException)
            {
                // The page is gone, and the database with it.
            }
            finally
            {
                await DisposeQuietlyAsync(_database).ConfigureAwait(false);
                await DisposeQuietlyAsync(_module).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static async ValueTask DisposeQuietlyAsync(IJSObjectReference reference)
    {
        try
        {
            await reference.DisposeAsync().ConfigureAwait(false);
        }
        catch (JSDisconnectedException)
        {
        }
    }
}
