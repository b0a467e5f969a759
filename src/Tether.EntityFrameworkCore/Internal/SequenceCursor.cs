using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>Reads several cursors one after the other, each opened when the one before is done and disposed then,
/// since they share one connection.</summary>
internal sealed class SequenceCursor(IReadOnlyList<Func<IStoredRecordCursor>> parts) : IStoredRecordCursor
{
    private IStoredRecordCursor? _current;
    private int _next;

    public string ModelName => Current.ModelName;

    public ReadOnlySpan<byte> Id => Current.Id;

    public ReadOnlySpan<byte> Data => Current.Data;

    private IStoredRecordCursor Current => _current ?? throw new InvalidOperationException("The cursor is not on a record: call ReadAsync first.");

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_current is not null && await _current.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            if (_current is not null)
            {
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }
            if (_next == parts.Count)
            {
                return false;
            }
            _current = parts[_next++]();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _next = parts.Count;
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }
}
