namespace Tether.Server.Internal.Pipeline;

/// <summary>
/// Users' sync groups as the writers' commits left them, kept from one commit to the next so that a user who pushes
/// all the time is not resolved again (O(the user's groups)) for every commit. Shared by the writer loops.
/// <para>On a store that gives syncIds at commit, writers commit one at a time and the head says whether anybody
/// else committed: a batch that starts at another head than the last commit left (another node committed, or the
/// database was restored) forgets it all. On a store that sequences commits later the head says nothing of the
/// sort; there the log tailer forgets every user whose groups changed in what it publishes (<see cref="Forget"/>),
/// so an entry may lag a commit of another node by the fan-out's latency (mutators that authorise read through their
/// context anyway), and a user whose groups change is resolved again once per commit rather than once.</para>
/// <para>In both, a batch hands back only users nobody forgot since it began (<see cref="Version"/>), so a batch
/// that overlapped a change cannot put back groups from before it.</para>
/// </summary>
internal sealed class WriterGroupCache
{
    // Enough for every active user of a busy node; past it the cache starts again rather than grow without bound.
    private const int MaxUsers = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);
    /// <summary>The <see cref="_version"/> at which each user was last forgotten.</summary>
    private readonly Dictionary<string, long> _forgottenAt = new(StringComparer.Ordinal);
    private long _version;
    /// <summary>Batches begun before it may not hand anything back: <see cref="_forgottenAt"/> was emptied then.</summary>
    private long _floor;
    private long _head = -1;
    private bool _sequencedLater;

    /// <summary>Read before a batch's transaction begins, and handed back with what it knew at its commit.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>Called when a batch's transaction has begun, with the head it starts from.</summary>
    public void Begin(long head)
    {
        lock (_gate)
        {
            if (!_sequencedLater && head != _head)
            {
                _groups.Clear();
                _head = head;
            }
        }
    }

    /// <summary>The groups as of the last commits; the set is shared, so a batch copies it before changing it.</summary>
    public bool TryGet(string userId, out HashSet<string> groups)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(userId, out groups!);
        }
    }

    /// <summary>Drops what is known of <paramref name="userIds"/>, whose groups changed in a commit the log tailer
    /// published, on a store that sequences commits later. Elsewhere the head already told of other writers' commits,
    /// and this writer's own were followed as they committed: forgetting them would resolve a user who changes their
    /// groups all the time once per commit again.</summary>
    public void Forget(IEnumerable<string> userIds)
    {
        lock (_gate)
        {
            if (_sequencedLater)
            {
                ForgetLocked(userIds);
            }
        }
    }

    /// <summary>Keeps what a committed batch knew at its end, and forgets the users whose groups it changed or could
    /// not follow. <paramref name="version"/> is <see cref="Version"/> as the batch began, <paramref name="head"/> the
    /// head after it.</summary>
    public void Committed(long version, long head, bool sequencedLater, IReadOnlyDictionary<string, HashSet<string>> known, IEnumerable<string> changed)
    {
        lock (_gate)
        {
            _sequencedLater |= sequencedLater;
            // A batch that committed before another writer's later one (which began at a later head) may report last:
            // what it knew is older than what the cache holds.
            bool current = version >= _floor && (_sequencedLater || head >= _head);
            List<KeyValuePair<string, HashSet<string>>> kept = current
                ? [.. known.Where(entry => !_forgottenAt.TryGetValue(entry.Key, out long forgotten) || forgotten <= version)]
                : [];
            // Batches still open may have read these users' groups before this commit changed them.
            ForgetLocked(changed);
            if (_groups.Count + kept.Count > MaxUsers)
            {
                _groups.Clear();
            }
            foreach ((string userId, HashSet<string> groups) in kept)
            {
                _groups[userId] = groups;
            }
            if (current && !_sequencedLater)
            {
                _head = head;
            }
        }
    }

    private void ForgetLocked(IEnumerable<string> userIds)
    {
        long version = _version + 1;
        foreach (string userId in userIds)
        {
            _groups.Remove(userId);
            _forgottenAt[userId] = version;
            _version = version;
        }
        if (_forgottenAt.Count > MaxUsers)
        {
            _forgottenAt.Clear();
            _floor = _version;
        }
    }
}
