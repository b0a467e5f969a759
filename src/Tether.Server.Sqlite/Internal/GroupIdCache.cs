namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// Group name to interned id, for the writer only (used under the write semaphore, so not thread-safe).
/// Ids inserted by the running transaction stay pending until commit: a transaction that fails rolls its inserts back,
/// and SQLite may then hand the same id to another name, so only committed ids are trusted across transactions.
/// </summary>
internal sealed class GroupIdCache
{
    // Bounds memory when groups are per user and users are many; a miss only costs one indexed lookup.
    private const int MaxCommitted = 100_000;

    private readonly Dictionary<string, long> _committed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _pending = new(StringComparer.Ordinal);

    public bool TryGet(string name, out long id) =>
        _committed.TryGetValue(name, out id) || _pending.TryGetValue(name, out id);

    public void AddPending(string name, long id) => _pending[name] = id;

    /// <summary>Forgets what the running transaction learned; safe after any rollback because a miss just asks the database.</summary>
    public void DiscardPending() => _pending.Clear();

    public void CommitPending()
    {
        if (_committed.Count + _pending.Count > MaxCommitted)
        {
            _committed.Clear();
        }

        foreach (var (name, id) in _pending)
        {
            _committed[name] = id;
        }

        _pending.Clear();
    }
}
