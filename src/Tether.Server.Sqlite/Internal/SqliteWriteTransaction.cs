using System.Data.Common;
using Microsoft.Data.Sqlite;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// A <c>BEGIN IMMEDIATE</c> transaction on the writer connection: it holds the file's write lock from the start, so
/// the head it read stays the head until it commits. SQLite is synchronous under the hood, so the methods run inline
/// and return completed ValueTasks rather than pretending to be asynchronous.
/// </summary>
internal sealed class SqliteWriteTransaction : ITetherWriteTransaction, IStoreConnection
{
    private readonly SqliteWriter _writer;
    private readonly WriterCommands _commands;
    private readonly List<long> _groupIds = new(4);
    private bool _committed;
    private bool _disposed;

    public SqliteWriteTransaction(SqliteWriter writer, long head)
    {
        _writer = writer;
        _commands = writer.Commands;
        Head = head;
    }

    public long Head { get; }

    public DbConnection Connection
    {
        get
        {
            EnsureOpen();
            return _writer.Connection;
        }
    }

    // The writer begins with raw SQL (BEGIN IMMEDIATE), so Microsoft.Data.Sqlite knows of no transaction object and
    // commands on the connection run in the open one without being given it.
    public DbTransaction? Transaction => null;

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

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var command = _commands.GetRejection;
        command.Parameters[0].Value = clientId;
        command.Parameters[1].Value = mutationId;
        using var reader = command.ExecuteReader();
        return new ValueTask<StoredRejection?>(reader.Read() ? new StoredRejection(clientId, mutationId, reader.GetString(0), reader.GetString(1)) : null);
    }

    public ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EnsureOpen();
        batch.CheckContinues(Head);
        cancellationToken.ThrowIfCancellationRequested();

        foreach (var forgotten in batch.ForgottenRejections)
        {
            Execute(_commands.ForgetRejections, forgotten.ClientId, forgotten.BeforeMutationId);
        }

        foreach (var record in batch.Records)
        {
            if (record.IsDelete)
            {
                Execute(_commands.DeleteRecord, record.ModelName, record.Id);
            }
            else
            {
                Execute(_commands.PutRecord, record.ModelName, record.Id, record.Data, GroupIdsJson(record.SyncGroups));
            }
        }

        foreach (var action in batch.Actions)
        {
            // The syncId is given explicitly; AUTOINCREMENT still raises sqlite_sequence to it, which is the head.
            Execute(_commands.InsertAction, action.SyncId, action.Action, action.ModelName, action.ModelId, action.Data, action.ClientId, action.MutationId);
            Execute(_commands.LinkAction, action.SyncId, GroupIdsJson(action.SyncGroups));
        }
        if (batch.Actions.Count > 0)
        {
            Execute(_commands.MarkCommitTime, batch.Actions.Max(action => action.SyncId), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }

        foreach (var change in batch.GroupChanges)
        {
            Execute(_commands.InsertGroupChange, change.SyncId, change.UserId);
        }

        foreach (var client in batch.Clients)
        {
            Execute(_commands.SetLastMutationId, client.ClientId, client.UserId, client.LastMutationId);
        }

        foreach (var rejection in batch.Rejections)
        {
            Execute(_commands.AddRejection, rejection.ClientId, rejection.MutationId, rejection.Code, rejection.Message);
        }

        _writer.Commit();
        _committed = true;
        return ValueTask.FromResult(CommittedBatch.At(batch.HeadAfter(Head)));
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

    /// <summary>Binds the values to the command's parameters in order and runs it.</summary>
    private static void Execute(SqliteCommand command, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
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
}
