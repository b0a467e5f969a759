namespace Tether.Server.Internal.Pipeline;

/// <summary>
/// Users' sync groups as the writer's last commit left them, kept from one commit to the next so that a user who
/// pushes all the time is not resolved again (O(the user's groups)) for every commit. It holds only while this writer
/// is the only one: a batch that starts at another head than this writer's last commit left (another node committed,
/// or the database was restored) forgets it all. Only the writer's thread uses it.
/// </summary>
internal sealed class WriterGroupCache
{
    // Enough for every active user of a busy node; past it the cache starts again rather than grow without bound.
    private const int MaxUsers = 10_000;

    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);
    private long _head = -1;

    /// <summary>Called when a batch begins, with the head its transaction starts from.</summary>
    public void Begin(long head)
    {
        if (head != _head)
        {
            _groups.Clear();
        }
    }

    /// <summary>The groups as of the last commit; the set is shared, so a batch copies it before changing it.</summary>
    public bool TryGet(string userId, out HashSet<string> groups) => _groups.TryGetValue(userId, out groups!);

    /// <summary>Keeps what a committed batch knew at its end, and forgets the users whose change it could not follow.</summary>
    public void Committed(long head, IReadOnlyDictionary<string, HashSet<string>> known, IEnumerable<string> forgotten)
    {
        foreach (string userId in forgotten)
        {
            _groups.Remove(userId);
        }
        if (_groups.Count + known.Count > MaxUsers)
        {
            _groups.Clear();
        }
        foreach ((string userId, HashSet<string> groups) in known)
        {
            _groups[userId] = groups;
        }
        _head = head;
    }
}
