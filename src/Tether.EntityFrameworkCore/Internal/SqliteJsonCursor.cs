using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// Steps a <see cref="SqliteJsonQuery{T}"/> (columns: the id, the record's JSON or NULL, then its dates as stored)
/// through SQLite's own API on the snapshot's connection, handing out SQLite's UTF-8 buffers of the row as the
/// built-in store's cursor does. A row without JSON, whose text is not valid UTF-8 (EF Core would read it with
/// replacement characters), or with a date not in EF Core's own text, is read by its id through EF Core and
/// serialized with the served contract.
/// </summary>
internal sealed class SqliteJsonCursor<T>(
    SqliteConnection connection, string sql, string[] parameters, StoredDate[] dates, string modelName, JsonTypeInfo<T> json, Func<string, CancellationToken, Task<T?>> find)
    : IStoredRecordCursor where T : class
{
    private sqlite3_stmt? _statement;
    private byte[]? _reread;
    private bool _done;
    private bool _onRow;

    /// <summary>How many rows were served through EF Core so far.</summary>
    public int Rereads { get; private set; }

    public string ModelName => _onRow ? modelName : throw NotOnRow();

    public ReadOnlySpan<byte> Id => raw.sqlite3_column_blob(Current, 0);

    public ReadOnlySpan<byte> Data => _reread is { } reread ? reread : raw.sqlite3_column_blob(Current, 1);

    private sqlite3_stmt Current => _onRow ? _statement! : throw NotOnRow();

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _onRow = false;
        _reread = null;
        if (_done)
        {
            return ValueTask.FromResult(false);
        }
        _statement ??= Prepare();
        int status = raw.sqlite3_step(_statement);
        if (status == raw.SQLITE_DONE)
        {
            _done = true;
            return ValueTask.FromResult(false);
        }
        if (status != raw.SQLITE_ROW)
        {
            SqliteException.ThrowExceptionForRC(status, connection.Handle);
        }
        if (raw.sqlite3_column_type(_statement, 1) != raw.SQLITE_NULL && Utf8.IsValid(raw.sqlite3_column_blob(_statement, 1)) && DatesAreCanonical(_statement))
        {
            _onRow = true;
            return ValueTask.FromResult(true);
        }
        return RereadAsync(Encoding.UTF8.GetString(raw.sqlite3_column_blob(_statement, 0)), cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _done = true;
        _onRow = false;
        _statement?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask<bool> RereadAsync(string id, CancellationToken cancellationToken)
    {
        T row = await find(id, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The {modelName} '{id}' was not found by its key in the snapshot it was listed in.");
        _reread = JsonSerializer.SerializeToUtf8Bytes(row, json);
        Rereads++;
        _onRow = true;
        return true;
    }

    private bool DatesAreCanonical(sqlite3_stmt statement)
    {
        for (int i = 0; i < dates.Length; i++)
        {
            int column = 2 + i;
            bool canonical = raw.sqlite3_column_type(statement, column) switch
            {
                raw.SQLITE_TEXT => SqliteDateText.IsCanonical(raw.sqlite3_column_blob(statement, column), dates[i].WithOffset),
                raw.SQLITE_NULL => dates[i].IsNullable,
                _ => false,
            };
            if (!canonical)
            {
                return false;
            }
        }
        return true;
    }

    private sqlite3_stmt Prepare()
    {
        sqlite3 database = connection.Handle ?? throw new InvalidOperationException("The snapshot's connection is closed.");
        int status = raw.sqlite3_prepare_v2(database, sql, out sqlite3_stmt statement);
        SqliteException.ThrowExceptionForRC(status, database);
        try
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(statement, i + 1, parameters[i]), database);
            }
        }
        catch
        {
            statement.Dispose();
            throw;
        }
        return statement;
    }

    private static InvalidOperationException NotOnRow() => new("The cursor is not on a record: call ReadAsync first.");
}

/// <summary>A cursor of no records.</summary>
internal sealed class EmptyRecordCursor : IStoredRecordCursor
{
    public static readonly EmptyRecordCursor Instance = new();

    public string ModelName => throw NotOnRow();

    public ReadOnlySpan<byte> Id => throw NotOnRow();

    public ReadOnlySpan<byte> Data => throw NotOnRow();

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InvalidOperationException NotOnRow() => new("The cursor is not on a record: call ReadAsync first.");
}
