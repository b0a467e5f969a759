using System.Data.Common;
using Microsoft.Data.Sqlite;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// Sync actions appended in a transaction of the app's own connection to the store's file. SQLite has one writer per
/// file: once the app's transaction holds the write lock, no other commit (Tether's or another app transaction's) can
/// come between the head it read and its commit, so the actions it appends continue the head without a hole.
/// </summary>
internal static class SqliteLogAppender
{
    public static long LockHead(DbConnection connection, DbTransaction transaction)
    {
        var sqlite = Check(connection, transaction);
        using var command = Command(sqlite, transaction, Sql.TakeWriteLock + "; " + Sql.ReadHead);
        return (long)command.ExecuteScalar()!;
    }

    public static void Append(DbConnection connection, DbTransaction transaction, WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sqlite = Check(connection, transaction);
        batch.CheckLogOnly();

        using (var head = Command(sqlite, transaction, Sql.ReadHead))
        {
            batch.CheckContinues((long)head.ExecuteScalar()!);
        }

        if (batch.Actions.Count > 0)
        {
            using var append = Command(sqlite, transaction, Sql.InsertAction + "; " + Sql.LinkActionByName);
            var parameters = new[] { "$syncId", "$action", "$model", "$modelId", "$data", "$client", "$mutation", "$groups" }
                .Select(name => append.Parameters.Add(new SqliteParameter(name, null)))
                .ToArray();
            foreach (var action in batch.Actions)
            {
                Bind(parameters, action.SyncId, action.Action, action.ModelName, action.ModelId, action.Data, action.ClientId, action.MutationId,
                    JsonArrays.FromStrings(action.SyncGroups));
                append.ExecuteNonQuery();
            }
            using var mark = Command(sqlite, transaction, Sql.MarkCommitTime);
            mark.Parameters.AddWithValue("$syncId", batch.Actions.Max(action => action.SyncId));
            mark.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            mark.ExecuteNonQuery();
        }

        if (batch.GroupChanges.Count > 0)
        {
            using var change = Command(sqlite, transaction, Sql.InsertGroupChange);
            var parameters = new[] { change.Parameters.Add(new SqliteParameter("$syncId", null)), change.Parameters.Add(new SqliteParameter("$user", null)) };
            foreach (var groupChange in batch.GroupChanges)
            {
                Bind(parameters, groupChange.SyncId, groupChange.UserId);
                change.ExecuteNonQuery();
            }
        }
    }

    private static SqliteConnection Check(DbConnection connection, DbTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        if (connection is not SqliteConnection sqlite || transaction is not SqliteTransaction || !ReferenceEquals(transaction.Connection, connection))
        {
            throw new ArgumentException("The SQLite store appends on an open Microsoft.Data.Sqlite connection to its file, in that connection's transaction.", nameof(transaction));
        }

        return sqlite;
    }

    private static SqliteCommand Command(SqliteConnection connection, DbTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Bind(SqliteParameter[] parameters, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
