using Microsoft.Data.Sqlite;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// A <c>BEGIN IMMEDIATE</c> transaction on the writer connection. SQLite is synchronous under the hood, so the
/// methods run inline and return completed ValueTasks rather than pretending to be asynchronous.
/// </summary>
internal sealed class SqliteWriteTransaction : ITetherWriteTransaction
{
    private readonly SqliteWriter _writer;
    private readonly WriterCommands _commands;
    // Head at each open savepoint, innermost on top, so a rollback restores exactly that level's head.
    private readonly Stack<long> _savepointHeads = new();
    private readonly List<long> _groupIds = new(4);
    private bool _committed;
    private bool _disposed;

    public SqliteWriteTransaction(SqliteWriter writer, long head)
    {
        _writer = writer;
        _commands = writer.Commands;
        Head = head;
    }

    public long Head { get; private set; }

    public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var command = _commands.GetRecord;
        command.Parameters[0].Value = modelName;
        command.Parameters[1].Value = id;
        return new ValueTask<Record?>(Rows.ReadRecord(command, modelName, id));
    }

    public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var command = _commands.ListRecords;
        command.Parameters[0].Value = modelName;
        command.Parameters[1].Value = syncGroup;
        return new ValueTask<IReadOnlyList<Record>>(Rows.ReadRecordList(command, modelName));
    }

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var command = _commands.GetClient;
        command.Parameters[0].Value = clientId;
        return new ValueTask<ClientState?>(Rows.ReadClient(command, clientId));
    }

    public ValueTask SetLastMutationIdAsync(string clientId, string userId, long lastMutationId, CancellationToken cancellationToken)
    {
        Execute(_commands.SetLastMutationId, clientId, userId, lastMutationId);
        return ValueTask.CompletedTask;
    }

    public ValueTask AddRejectionAsync(string clientId, long mutationId, StoredRejection rejection, CancellationToken cancellationToken)
    {
        Execute(_commands.AddRejection, clientId, mutationId, rejection.Code, rejection.Message);
        return ValueTask.CompletedTask;
    }

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var command = _commands.GetRejection;
        command.Parameters[0].Value = clientId;
        command.Parameters[1].Value = mutationId;
        using var reader = command.ExecuteReader();
        return new ValueTask<StoredRejection?>(reader.Read() ? new StoredRejection(reader.GetString(0), reader.GetString(1)) : null);
    }

    public ValueTask ForgetRejectionsBeforeAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        Execute(_commands.ForgetRejections, clientId, mutationId);
        return ValueTask.CompletedTask;
    }

    public ValueTask PutRecordAsync(string modelName, string id, string data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken)
    {
        EnsureOpen(); // before the group ids are looked up on the connection
        Execute(_commands.PutRecord, modelName, id, data, GroupIdsJson(syncGroups));
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        Execute(_commands.DeleteRecord, modelName, id);
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> AppendActionAsync(NewSyncAction action, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var groups = GroupIdsJson(action.SyncGroups);

        var insert = _commands.InsertAction;
        insert.Parameters[0].Value = action.Action;
        insert.Parameters[1].Value = action.ModelName;
        insert.Parameters[2].Value = action.ModelId;
        insert.Parameters[3].Value = (object?)action.Data ?? DBNull.Value;
        insert.Parameters[4].Value = action.ClientId;
        insert.Parameters[5].Value = action.MutationId;
        insert.ExecuteNonQuery();

        var syncId = _writer.LastInsertRowId();
        // BEGIN IMMEDIATE holds the file's write lock, so only a bug or a foreign writer between our head read and
        // this insert could produce anything else; continuing would break "syncId order equals commit order".
        if (syncId != Head + 1)
        {
            throw new InvalidOperationException(
                $"SQLite assigned syncId {syncId} where {Head + 1} was expected; something else writes to this database file.");
        }

        var link = _commands.LinkAction;
        link.Parameters[0].Value = syncId;
        link.Parameters[1].Value = groups;
        link.ExecuteNonQuery();

        Head = syncId;
        return new ValueTask<long>(syncId);
    }

    public ValueTask AddGroupChangeAsync(long syncId, string userId, CancellationToken cancellationToken)
    {
        Execute(_commands.InsertGroupChange, syncId, userId);
        return ValueTask.CompletedTask;
    }

    public ValueTask SavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        _commands.Savepoint.ExecuteNonQuery();
        _savepointHeads.Push(Head);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseSavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        EnsureSavepoint();
        _commands.Release.ExecuteNonQuery();
        _savepointHeads.Pop();
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToSavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        EnsureSavepoint();
        _commands.RollbackToSavepoint.ExecuteNonQuery();
        Head = _savepointHeads.Pop();
        // Groups first inserted inside the savepoint are gone again, and their ids may go to other names.
        _writer.Groups.DiscardPending();
        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        if (_savepointHeads.Count != 0)
        {
            throw new InvalidOperationException("Release or roll back every savepoint before committing.");
        }

        _writer.Commit();
        _committed = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _writer.Finish();
        }

        return ValueTask.CompletedTask;
    }

    private string GroupIdsJson(IReadOnlyCollection<string> syncGroups)
    {
        _groupIds.Clear();
        foreach (var name in syncGroups)
        {
            _groupIds.Add(GroupId(name));
        }

        return JsonArrays.FromIds(_groupIds);
    }

    private long GroupId(string name)
    {
        var groups = _writer.Groups;
        if (groups.TryGet(name, out var id))
        {
            return id;
        }

        var find = _commands.FindGroup;
        find.Parameters[0].Value = name;
        if (find.ExecuteScalar() is long found)
        {
            id = found;
        }
        else
        {
            var insert = _commands.InsertGroup;
            insert.Parameters[0].Value = name;
            insert.ExecuteNonQuery();
            id = _writer.LastInsertRowId();
        }

        groups.AddPending(name, id);
        return id;
    }

    /// <summary>Binds the values to the command's parameters in order and runs it (transaction open).</summary>
    private void Execute(SqliteCommand command, params object?[] values)
    {
        EnsureOpen();
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
        command.ExecuteNonQuery();
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException("The write transaction is already committed.");
        }
    }

    private void EnsureSavepoint()
    {
        if (_savepointHeads.Count == 0)
        {
            throw new InvalidOperationException("No savepoint is open.");
        }
    }
}
