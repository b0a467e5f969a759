using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A write transaction's check at commit, in two steps that every writer takes in the same order. First it locks
/// the models, records and clients it read or writes, and reads their versions now: each record and client read must
/// be as it was read. Then it locks the groups its records leave, stay in or enter (shared: writers into one group
/// do not wait for each other) and each group it listed (exclusive: no record enters or leaves it until this commits),
/// and reads what each listed group holds now, which must be what was listed. A change found is a conflict
/// (<see cref="WriteConflictException"/>): the pipeline runs the work again, and then reads the change.
/// </summary>
internal sealed class PgCommitCheck(PgReadSet reads, WriteBatch batch)
{
    private readonly HashSet<string> _wholeModels = new(StringComparer.Ordinal);
    // Each record read or written that exists, as it is under this transaction's lock: the records it writes are then
    // known exactly, since no other writer can change them before it commits.
    private readonly Dictionary<(string Model, string Id), RowNow> _now = [];
    private bool _groupLocks;
    private bool _listsHold = true;

    /// <summary>The groups of the record <paramref name="write"/> writes as it is now; null when it is absent.</summary>
    public string[]? GroupsNow(RecordWrite write) => _now.TryGetValue((write.ModelName, write.Id), out RowNow now) ? now.Groups : null;

    /// <summary>The first step: locks the models, records and clients, and checks that those read are as read.</summary>
    public async Task LockAndCheckAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        (string Model, string Id)[] records = [.. reads.Records.Union(batch.Records.Select(r => (r.ModelName, r.Id)))];
        var written = new HashSet<(string Model, string Id)>(batch.Records.Select(r => (r.ModelName, r.Id)));
        string[] clients = [.. reads.Clients];
        var writtenClients = new HashSet<string>(
            batch.Clients.Select(c => c.ClientId).Concat(batch.Rejections.Select(r => r.ClientId)).Concat(batch.ForgottenRejections.Select(f => f.ClientId)),
            StringComparer.Ordinal);
        var locks = new PgKeyLocks();
        foreach (IGrouping<string, (string Model, string Id)> model in records.GroupBy(r => r.Model, StringComparer.Ordinal))
        {
            bool whole = model.Count() > PgKeyLocks.MaxRecordLocksPerModel;
            locks.Add(PgKeyLocks.ModelClass, model.Key, exclusive: whole);
            if (whole)
            {
                _wholeModels.Add(model.Key);
                continue;
            }
            foreach ((string modelName, string id) in model)
            {
                locks.Add(PgKeyLocks.RecordClass, modelName, exclusive: written.Contains((modelName, id)), id);
            }
        }
        foreach ((string model, _) in reads.Lists)
        {
            locks.Add(PgKeyLocks.ModelClass, model, exclusive: false);
        }
        foreach (string client in clients.Union(writtenClients, StringComparer.Ordinal))
        {
            locks.Add(PgKeyLocks.ClientClass, client, exclusive: writtenClients.Contains(client));
        }
        if (locks.IsEmpty)
        {
            return;
        }

        await using var check = new NpgsqlBatch(connection);
        check.BatchCommands.Add(locks.Command());
        var versions = new NpgsqlBatchCommand(PgReadSet.RecordVersions);
        versions.Parameters.Add(new NpgsqlParameter("models", records.Select(r => r.Model).ToArray()));
        versions.Parameters.Add(new NpgsqlParameter("ids", records.Select(r => r.Id).ToArray()));
        check.BatchCommands.Add(versions);
        var clientVersions = new NpgsqlBatchCommand(PgReadSet.ClientVersions);
        clientVersions.Parameters.Add(new NpgsqlParameter("clients", clients));
        check.BatchCommands.Add(clientVersions);

        var clientsNow = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (NpgsqlDataReader reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _now[(reader.GetString(0), reader.GetString(1))] = new RowNow(reader.GetString(2), reader.GetFieldValue<string[]>(3));
            }
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                clientsNow[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        if (!reads.RecordsHold(_now) || !reads.ClientsHold(clientsNow))
        {
            throw Changed();
        }
    }

    /// <summary>The second step's statements, sent ahead of the writes: the group locks, then what the listed groups
    /// hold now, which <see cref="CheckListsAsync"/> reads; none when there is nothing to lock or check.</summary>
    public List<NpgsqlBatchCommand> GroupCommands()
    {
        var commands = new List<NpgsqlBatchCommand>();
        var locks = new PgKeyLocks();
        foreach (RecordWrite write in batch.Records.Where(r => !_wholeModels.Contains(r.ModelName)))
        {
            foreach (string group in (GroupsNow(write) ?? []).Union(write.SyncGroups, StringComparer.Ordinal))
            {
                locks.Add(PgKeyLocks.GroupClass, write.ModelName, exclusive: false, group);
            }
        }
        foreach ((string model, string group) in reads.Lists.Where(l => !_wholeModels.Contains(l.Model)))
        {
            locks.Add(PgKeyLocks.GroupClass, model, exclusive: true, group);
        }
        _groupLocks = !locks.IsEmpty;
        if (_groupLocks)
        {
            commands.Add(locks.Command());
        }
        if (reads.HasLists)
        {
            commands.Add(reads.ListCommand());
        }
        return commands;
    }

    /// <summary>Reads the results of <see cref="GroupCommands"/>; a listed group that changed fails the commit
    /// once all its statements ran (<see cref="ThrowIfListsChanged"/>).</summary>
    public async Task CheckListsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!reads.HasLists)
        {
            return;
        }
        if (_groupLocks)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
        var now = new Dictionary<int, Dictionary<string, string>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            int list = checked((int)reader.GetInt64(0));
            if (!now.TryGetValue(list, out Dictionary<string, string>? members))
            {
                now[list] = members = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            members[reader.GetString(1)] = reader.GetString(2);
        }
        _listsHold = reads.ListsHold(now);
    }

    public void ThrowIfListsChanged()
    {
        if (!_listsHold)
        {
            throw Changed();
        }
    }

    private static WriteConflictException Changed()
        => new("The write transaction read what a concurrent writer changed before it committed.", innerException: null);
}
