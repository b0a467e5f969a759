using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// Steps a statement whose columns are model, id and data straight through SQLite's own API: the id and the data are
/// SQLite's UTF-8 buffers of the current row, and the model's string is made once per model, not once per row.
/// </summary>
internal sealed class SqliteRecordCursor : IStoredRecordCursor
{
    private readonly SqliteConnection _connection;
    private readonly string _sql;
    private readonly (string Name, string Value)[] _parameters;
    private sqlite3_stmt? _statement;
    private byte[] _modelBytes = [];
    private string _modelName = "";
    private bool _done;

    public SqliteRecordCursor(SqliteConnection connection, string sql, params (string Name, string Value)[] parameters)
    {
        _connection = connection;
        _sql = sql;
        _parameters = parameters;
    }

    public string ModelName => _statement is null || _done ? throw NotOnRecord() : _modelName;

    public ReadOnlySpan<byte> Id => raw.sqlite3_column_blob(Current, 1);

    public ReadOnlySpan<byte> Data => raw.sqlite3_column_blob(Current, 2);

    private sqlite3_stmt Current => _statement is null || _done ? throw NotOnRecord() : _statement;

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
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
            SqliteException.ThrowExceptionForRC(status, _connection.Handle);
        }
        ReadOnlySpan<byte> model = raw.sqlite3_column_blob(_statement, 0);
        if (!model.SequenceEqual(_modelBytes))
        {
            _modelBytes = model.ToArray();
            _modelName = Encoding.UTF8.GetString(model);
        }
        return ValueTask.FromResult(true);
    }

    public ValueTask DisposeAsync()
    {
        _done = true;
        _statement?.Dispose();
        return ValueTask.CompletedTask;
    }

    private sqlite3_stmt Prepare()
    {
        sqlite3 database = _connection.Handle ?? throw new InvalidOperationException("The snapshot's connection is closed.");
        int status = raw.sqlite3_prepare_v2(database, _sql, out sqlite3_stmt statement);
        SqliteException.ThrowExceptionForRC(status, database);
        try
        {
            foreach ((string name, string value) in _parameters)
            {
                SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(statement, raw.sqlite3_bind_parameter_index(statement, name), value), database);
            }
        }
        catch
        {
            statement.Dispose();
            throw;
        }
        return statement;
    }

    private static InvalidOperationException NotOnRecord() => new("The cursor is not on a record: call ReadAsync first and stop when it returns false.");
}
