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
    private bool _listsHold = true;

    /// <summary>Locks and checks the keys; returns the version and groups now of each record read or written that
    /// exists (the records written are then known exactly: no other writer can change them before this commits).</summary>
    public async Task<IReadOnlyDictionary<(string Model, string Id), (string Version, string[] Groups)>> LockAndCheckAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        (string Model, string Id)[] records = [.. reads.Records.Union(batch.Records.Select(r => (r.ModelName, r.Id)))];
        string[] clients = [.. reads.Clients];
        var locks = new PgKeyLocks();
        foreach (IGrouping<string, (string Model, string Id)> model in records.GroupBy(r => r.Model, StringComparer.Ordinal))
        {
            if (model.Count() > PgKeyLocks.MaxRecordLocksPerModel)
            {
                _wholeModels.Add(model.Key);
                locks.Exclusive(PgKeyLocks.ModelClass, model.Key);
            }
            else
            {
                locks.Shared(PgKeyLocks.ModelClass, model.Key);
            }
        }
        foreach ((string model, _) in reads.Lists)
        {
            locks.Shared(PgKeyLocks.ModelClass, model);
        }
        foreach ((string model, string id) in records.Where(r => !_wholeModels.Contains(r.Model)))
        {
            locks.Shared(PgKeyLocks.RecordClass, model, id);
        }
        foreach (RecordWrite write in batch.Records.Where(r => !_wholeModels.Contains(r.ModelName)))
        {
            locks.Exclusive(PgKeyLocks.RecordClass, write.ModelName, write.Id);
        }
        foreach (string client in clients)
        {
            locks.Shared(PgKeyLocks.ClientClass, client);
        }
        foreach (string client in batch.Clients.Select(c => c.ClientId).Concat(batch.Rejections.Select(r => r.ClientId)).Concat(batch.ForgottenRejections.Select(f => f.ClientId)))
        {
            locks.Exclusive(PgKeyLocks.ClientClass, client);
        }
        if (locks.IsEmpty)
        {
            return new Dictionary<(string, string), (string, string[])>();
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

        var current = new Dictionary<(string Model, string Id), (string Version, string[] Groups)>();
        var currentClients = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (NpgsqlDataReader reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                current[(reader.GetString(0), reader.GetString(1))] = (reader.GetString(2), reader.GetFieldValue<string[]>(3));
            }
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                currentClients[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        if (!reads.RecordsHold(current) || !reads.ClientsHold(currentClients))
        {
            throw Changed();
        }
        return current;
    }

    /// <summary>The second step's statements, sent ahead of the writes: the group locks, then what the listed groups
    /// hold now, which <see cref="CheckListsAsync"/> reads.</summary>
    public IEnumerable<NpgsqlBatchCommand> GroupCommands(IReadOnlyDictionary<(string Model, string Id), (string Version, string[] Groups)> current)
    {
        var locks = new PgKeyLocks();
        foreach (RecordWrite write in batch.Records.Where(r => !_wholeModels.Contains(r.ModelName)))
        {
            IEnumerable<string> before = current.TryGetValue((write.ModelName, write.Id), out var now) ? now.Groups : [];
            foreach (string group in before.Union(write.SyncGroups, StringComparer.Ordinal))
            {
                locks.Shared(PgKeyLocks.GroupClass, write.ModelName, group);
            }
        }
        foreach ((string model, string group) in reads.Lists.Where(l => !_wholeModels.Contains(l.Model)))
        {
            locks.Exclusive(PgKeyLocks.GroupClass, model, group);
        }
        // Always a first result, so that the list check knows where its own is.
        yield return locks.IsEmpty ? new NpgsqlBatchCommand("SELECT NULL WHERE false") : locks.Command();
        yield return reads.ListCommand();
    }

    /// <summary>Reads the results of <see cref="GroupCommands"/>; a listed group that changed fails the commit
    /// once all its statements ran (<see cref="ThrowIfListsChanged"/>).</summary>
    public async Task CheckListsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
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
