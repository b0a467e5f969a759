using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// The advisory locks a write transaction takes at commit, transaction-scoped, on what it read and what it writes:
/// exclusive on each key it writes, shared on each key it only read, so that no other writer changes what it
/// read between its check and its commit. Every writer takes its locks in one order (by kind, then key), so writers
/// wait for each other but never deadlock on these. Keys are hashed to 32 bits, stable across processes; two keys
/// that share a hash only make their writers wait for each other.
/// </summary>
internal sealed class PgKeyLocks
{
    /// <summary>Above this many records of one model in one transaction, it locks the model instead, exclusively:
    /// a push that rewrites a whole store must not fill PostgreSQL's lock table.</summary>
    public const int MaxRecordLocksPerModel = 1_000;

    // Two-key advisory locks live apart from the one-key ones (the migration's, the sequencer's election); the first
    // key says what the second one names.
    private const int TetherClass = 0x74657468;
    public const int ModelClass = TetherClass + 1;
    public const int RecordClass = TetherClass + 2;
    public const int ClientClass = TetherClass + 3;
    public const int GroupClass = TetherClass + 4;

    /// <summary>Takes the locks in the order of their (class, key), one round trip after the lock statement is sent.</summary>
    public const string Statement =
        "SELECT CASE WHEN x THEN pg_advisory_xact_lock(c, k)::text ELSE pg_advisory_xact_lock_shared(c, k)::text END " +
        "FROM unnest(@classes::int4[], @keys::int4[], @exclusive::bool[]) AS t(c, k, x)";

    private readonly Dictionary<(int Class, int Key), bool> _locks = [];

    public bool IsEmpty => _locks.Count == 0;

    /// <summary>Asks for the lock of <paramref name="name"/> (and <paramref name="part"/>) in
    /// <paramref name="lockClass"/>; asked for twice, it is exclusive if either asked so.</summary>
    public void Add(int lockClass, string name, bool exclusive, string? part = null)
    {
        (int, int) key = (lockClass, Key(name, part));
        _locks[key] = exclusive || (_locks.TryGetValue(key, out bool held) && held);
    }

    public NpgsqlBatchCommand Command()
    {
        (int Class, int Key)[] order = [.. _locks.Keys.Order()];
        var command = new NpgsqlBatchCommand(Statement);
        command.Parameters.Add(new NpgsqlParameter("classes", order.Select(l => l.Class).ToArray()));
        command.Parameters.Add(new NpgsqlParameter("keys", order.Select(l => l.Key).ToArray()));
        command.Parameters.Add(new NpgsqlParameter("exclusive", order.Select(l => _locks[l]).ToArray()));
        return command;
    }

    /// <summary>32-bit FNV-1a over the UTF-16 code units of <paramref name="name"/>, a separator and
    /// <paramref name="part"/>: the same on every node, unlike <see cref="string.GetHashCode()"/>.</summary>
    public static int Key(string name, string? part = null)
    {
        uint hash = 2166136261;
        hash = Mix(hash, name);
        if (part is not null)
        {
            hash = (hash ^ 0xFFFF) * 16777619;
            hash = Mix(hash, part);
        }
        return unchecked((int)hash);
    }

    private static uint Mix(uint hash, string text)
    {
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }
        return hash;
    }
}
