using System.Text.Json;
using Microsoft.JSInterop;

namespace Tether.Client.Browser.Internal;

/// <summary>
/// An open <see cref="IndexedDbLocalStore.BeginBulkWriteAsync"/>: its rows staged in the page (<paramref name="staged"/>),
/// and the store's gate, held until the commit, a failure or disposal, whichever comes first; that one drops the
/// staged rows and releases the gate.
/// </summary>
internal sealed class IndexedDbBulkWrite(IJSObjectReference module, IJSObjectReference database, IJSObjectReference staged, Action releaseGate)
    : ILocalBulkWrite
{
    private bool _finished;

    public async ValueTask AddAsync(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            ArgumentNullException.ThrowIfNull(records);
            cancellationToken.ThrowIfCancellationRequested();
            string json = JsonSerializer.Serialize(RecordDto.From(records), IndexedDbJsonContext.Default.RecordDtoArray);
            await module.InvokeVoidAsync("bulkAdd", cancellationToken, staged, json).ConfigureAwait(false);
        }
        catch
        {
            // Like a failed write: the whole bulk write goes, not just this chunk.
            await FinishAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask CommitAsync(LocalWrite last, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            ArgumentNullException.ThrowIfNull(last);
            if (last.ClearRecords)
            {
                throw new ArgumentException("A bulk write clears when it begins, not at its commit.", nameof(last));
            }

            cancellationToken.ThrowIfCancellationRequested();
            string json = JsonSerializer.Serialize(WriteDto.From(last), IndexedDbJsonContext.Default.WriteDto);
            try
            {
                // Not cancellable once handed over: the transaction commits or fails as a whole, and the answer must
                // say which.
                await module.InvokeVoidAsync("bulkCommit", CancellationToken.None, database, staged, json).ConfigureAwait(false);
            }
            catch (JSException e) when (PendingConflict.Is(e))
            {
                throw PendingConflict.From(e);
            }
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask FinishAsync()
    {
        _finished = true;
        try
        {
            await module.InvokeVoidAsync("bulkDrop", staged).ConfigureAwait(false);
        }
        catch (JSDisconnectedException)
        {
            // The page is gone, and the staged rows with it.
        }
        finally
        {
            await IndexedDbLocalStore.DisposeQuietlyAsync(staged).ConfigureAwait(false);
            releaseGate();
        }
    }
}
