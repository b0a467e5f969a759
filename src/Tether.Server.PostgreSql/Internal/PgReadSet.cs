using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// What a write transaction's mutators read, each with the version they saw (a row's <c>xmin</c>, or none for a row
/// read as absent), so that its commit can check, under <see cref="PgKeyLocks"/>, that all of it is still so: then
/// the transaction is as if it had read everything at that moment, and its writes follow from what was true.
/// </summary>
internal sealed class PgReadSet
{
    // Each key is looked up on its own, so that the plan is an index lookup per key whatever the tables' sizes were
    // when the statement was prepared: a join of the keys to a table may be planned as a scan of it. OFFSET 0 keeps
    // the planner from pulling the LATERAL subquery up into such a join.
    public const string RecordVersions =
        "SELECT r.model, r.id, r.xmin::text, r.groups FROM unnest(@models::text[], @ids::text[]) AS k(model, id) " +
        "CROSS JOIN LATERAL (SELECT r.model, r.id, r.xmin, r.groups FROM tether_records r WHERE r.model = k.model AND r.id = k.id OFFSET 0) r";

    public const string ClientVersions =
        "SELECT c.client_id, c.last_mutation_id FROM unnest(@clients::text[]) AS k(client_id) " +
        "CROSS JOIN LATERAL (SELECT c.client_id, c.last_mutation_id FROM tether_clients c WHERE c.client_id = k.client_id OFFSET 0) c";

    /// <summary>The members of each listed group now, by the list's position (1-based).</summary>
    public const string ListVersions =
        "SELECT k.n, r.id, r.xmin::text FROM unnest(@models::text[], @groups::text[]) WITH ORDINALITY AS k(model, name, n) " +
        "CROSS JOIN LATERAL (SELECT r.id, r.xmin FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT g.id FROM tether_groups g WHERE g.name = k.name) AND m.model = k.model OFFSET 0) r";

    private readonly Dictionary<(string Model, string Id), string?> _records = [];
    private readonly Dictionary<(string Model, string Group), Dictionary<string, string>> _lists = [];
    private readonly Dictionary<string, long?> _clients = new(StringComparer.Ordinal);

    public IEnumerable<(string Model, string Id)> Records => _records.Keys;

    public IEnumerable<(string Model, string Group)> Lists => _lists.Keys;

    public bool HasLists => _lists.Count > 0;

    public IEnumerable<string> Clients => _clients.Keys;

    /// <summary>The first read of a key counts: a later one in the same transaction sees the same row or fails the check.</summary>
    public void ReadRecord(string model, string id, string? version) => _records.TryAdd((model, id), version);

    public void Listed(string model, string group, IEnumerable<(string Id, string Version)> members)
        => _lists.TryAdd((model, group), members.ToDictionary(m => m.Id, m => m.Version, StringComparer.Ordinal));

    public void ReadClient(ClientState? client, string clientId) => _clients.TryAdd(clientId, client?.LastMutationId);

    /// <summary>True when each record read is as it was read (<paramref name="current"/>: the versions of the keys
    /// the commit locked, absent when the row is).</summary>
    public bool RecordsHold(IReadOnlyDictionary<(string Model, string Id), RowNow> current)
        => _records.All(read => current.TryGetValue(read.Key, out var now) ? now.Version == read.Value : read.Value is null);

    public bool ClientsHold(IReadOnlyDictionary<string, long> current)
        => _clients.All(read => current.TryGetValue(read.Key, out long now) ? now == read.Value : read.Value is null);

    /// <summary>True when each group listed has the same members at the same versions; <paramref name="current"/>
    /// holds, by the position of the list in <see cref="Lists"/>, its members now.</summary>
    public bool ListsHold(IReadOnlyDictionary<int, Dictionary<string, string>> current)
    {
        int n = 0;
        foreach (Dictionary<string, string> read in _lists.Values)
        {
            n++;
            Dictionary<string, string>? now = current.GetValueOrDefault(n);
            int count = now?.Count ?? 0;
            if (count != read.Count || read.Any(m => now!.GetValueOrDefault(m.Key) != m.Value))
            {
                return false;
            }
        }
        return true;
    }

    public NpgsqlBatchCommand ListCommand()
    {
        var command = new NpgsqlBatchCommand(ListVersions);
        command.Parameters.Add(new NpgsqlParameter("models", _lists.Keys.Select(k => k.Model).ToArray()));
        command.Parameters.Add(new NpgsqlParameter("groups", _lists.Keys.Select(k => k.Group).ToArray()));
        return command;
    }
}

/// <summary>A record's row as a commit found it under its lock: its version (<c>xmin</c>) and groups.</summary>
internal readonly record struct RowNow(string Version, string[] Groups);
