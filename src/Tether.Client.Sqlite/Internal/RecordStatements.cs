using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Mutators;

namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// The statements that write and read confirmed records, compiled once per connection and bound by position. A run
/// of puts goes in multi-row upserts of <see cref="BatchRows"/> rows and a run of deletes in multi-row deletes, the
/// remainder row by row, so a large write pays the cost of a statement once per batch instead of once per row. They
/// sit below Microsoft.Data.Sqlite's commands because those look every parameter up by name on each execution, which
/// for a statement of 192 parameters costs more than the insert itself.
/// </summary>
internal sealed class RecordStatements : IDisposable
{
    /// <summary>Rows per multi-row statement: large enough that the statement's own cost vanishes, small enough to
    /// stay far below SQLite's parameter limit and to keep the compiled statement small.</summary>
    public const int BatchRows = 64;

    // Large writes check for cancellation every this many rows; a cancelled write is rolled back like any failure.
    private const int CancellationCheckInterval = 4096;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _putBatch;
    private readonly sqlite3_stmt _putOne;
    private readonly sqlite3_stmt _deleteBatch;
    private readonly sqlite3_stmt _deleteOne;
    private readonly sqlite3_stmt _readAll;
    private byte[] _utf8 = new byte[1024];

    public RecordStatements(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var statements = new List<sqlite3_stmt>();
        try
        {
            _putBatch = Prepare(Upsert(BatchRows), statements);
            _putOne = Prepare(Upsert(1), statements);
            _deleteBatch = Prepare(Delete(BatchRows), statements);
            _deleteOne = Prepare(Delete(1), statements);
            _readAll = Prepare("SELECT model, id, data FROM records ORDER BY model, id", statements);
        }
        catch
        {
            foreach (var statement in statements)
            {
                statement.Dispose();
            }

            throw;
        }
    }

    /// <summary>Applies <paramref name="records"/> in order inside the caller's transaction: consecutive puts and
    /// consecutive deletes each go in batches, and a later change of the same record wins.</summary>
    public void Write(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
    {
        var count = records.Count;
        var start = 0;
        var nextCheck = CancellationCheckInterval;
        while (start < count)
        {
            var deletes = IsDelete(records[start]);
            var end = start + 1;
            while (end < count && IsDelete(records[end]) == deletes)
            {
                end++;
            }

            WriteRun(records, start, end, deletes, cancellationToken, ref nextCheck);
            start = end;
        }
    }

    /// <summary>Every confirmed record in key order. A model's name is one string shared by all its records.</summary>
    public List<StoredRecord> ReadAll()
    {
        var records = new List<StoredRecord>();
        var model = string.Empty;
        var modelUtf8 = Array.Empty<byte>();
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_readAll)) == raw.SQLITE_ROW)
            {
                var modelText = raw.sqlite3_column_blob(_readAll, 0);
                if (!modelText.SequenceEqual(modelUtf8))
                {
                    modelUtf8 = modelText.ToArray();
                    model = Encoding.UTF8.GetString(modelText);
                }

                var id = Encoding.UTF8.GetString(raw.sqlite3_column_blob(_readAll, 1));
                var data = Encoding.UTF8.GetString(raw.sqlite3_column_blob(_readAll, 2));
                records.Add(new StoredRecord(model, id, data));
            }

            Check(rc, raw.SQLITE_DONE);
        }
        finally
        {
            raw.sqlite3_reset(_readAll);
        }

        return records;
    }

    public void Dispose()
    {
        _putBatch.Dispose();
        _putOne.Dispose();
        _deleteBatch.Dispose();
        _deleteOne.Dispose();
        _readAll.Dispose();
    }

    private static bool IsDelete(LocalRecordChange? change)
    {
        ArgumentNullException.ThrowIfNull(change, "write");
        return change.Data is null;
    }

    private void WriteRun(
        IReadOnlyList<LocalRecordChange> records, int start, int end, bool deletes, CancellationToken cancellationToken, ref int nextCheck)
    {
        var batch = deletes ? _deleteBatch : _putBatch;
        var one = deletes ? _deleteOne : _putOne;
        var i = start;
        while (end - i >= BatchRows)
        {
            var parameter = 1;
            for (var row = 0; row < BatchRows; row++)
            {
                parameter = Bind(batch, parameter, records[i + row], deletes);
            }

            Execute(batch);
            i += BatchRows;
            CheckCancellation(i, cancellationToken, ref nextCheck);
        }

        for (; i < end; i++)
        {
            Bind(one, 1, records[i], deletes);
            Execute(one);
            CheckCancellation(i, cancellationToken, ref nextCheck);
        }
    }

    private static void CheckCancellation(int written, CancellationToken cancellationToken, ref int nextCheck)
    {
        if (written >= nextCheck)
        {
            nextCheck = written + CancellationCheckInterval;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Binds one row's values from <paramref name="parameter"/> on; returns the next parameter's index.</summary>
    private int Bind(sqlite3_stmt statement, int parameter, LocalRecordChange change, bool delete)
    {
        BindText(statement, parameter++, change.ModelName, nameof(change.ModelName));
        BindText(statement, parameter++, change.Id, nameof(change.Id));
        if (!delete)
        {
            BindText(statement, parameter++, change.Data!, nameof(change.Data));
        }

        return parameter;
    }

    private void BindText(sqlite3_stmt statement, int parameter, string? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentException($"A record change has no {name}.", "write");
        }

        int rc;
        if (value.Length == 0)
        {
            // An empty span binds a null pointer, which SQLite reads as NULL; the string overload binds "".
            rc = raw.sqlite3_bind_text(statement, parameter, string.Empty);
        }
        else
        {
            var max = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_utf8.Length < max)
            {
                _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
            }

            // SQLite copies the bytes (SQLITE_TRANSIENT), so one buffer serves every parameter.
            var length = Encoding.UTF8.GetBytes(value, _utf8);
            rc = raw.sqlite3_bind_text(statement, parameter, _utf8.AsSpan(0, length));
        }

        Check(rc, raw.SQLITE_OK);
    }

    private void Execute(sqlite3_stmt statement)
    {
        try
        {
            Check(raw.sqlite3_step(statement), raw.SQLITE_DONE);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    private void Check(int rc, int expected)
    {
        if (rc != expected)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private sqlite3_stmt Prepare(string sql, List<sqlite3_stmt> statements)
    {
        var rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out _);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new InvalidOperationException($"SQLite compiled no statement from: {sql}");
        }

        statements.Add(statement);
        return statement;
    }

    private static string Upsert(int rows) =>
        "INSERT INTO records(model, id, data) VALUES " + Rows("(?, ?, ?)", rows) +
        " ON CONFLICT(model, id) DO UPDATE SET data = excluded.data";

    private static string Delete(int rows) =>
        rows == 1
            ? "DELETE FROM records WHERE model = ? AND id = ?"
            : "DELETE FROM records WHERE (model, id) IN (VALUES " + Rows("(?, ?)", rows) + ")";

    private static string Rows(string row, int count) => string.Join(", ", Enumerable.Repeat(row, count));
}
