using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// Steps a <see cref="SqliteJsonQuery{T}"/> (columns: the id, then each served property's column as stored) through
/// SQLite's own API on the snapshot's connection, and writes each row's JSON from SQLite's UTF-8 buffers and
/// integers, with no .NET string, as System.Text.Json writes the entity EF Core reads (same encoder, so the same
/// bytes). A row with a value of another storage class, text that is not valid UTF-8 (EF Core would read it with
/// replacement characters), an integer out of its type's range, or a date not in EF Core's own text, is read by
/// its id through EF Core and serialized with the served contract.
/// </summary>
internal sealed class SqliteJsonCursor<T>(
    SqliteConnection connection, string sql, string[] parameters, SqliteJsonProperty[] properties, string modelName, JsonTypeInfo<T> json, Func<string, CancellationToken, Task<T?>> find)
    : IStoredRecordCursor where T : class
{
    /// <summary>A date's JSON string: quotes around at most "yyyy-MM-ddTHH:mm:ss.FFFFFFF+HH:mm".</summary>
    private const int MostDateLength = 35;

    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private readonly Utf8JsonWriter _writer = new(Stream.Null, new JsonWriterOptions { Encoder = json.Options.Encoder, SkipValidation = true });
    private sqlite3_stmt? _statement;
    private byte[]? _reread;
    private bool _done;
    private bool _onRow;

    /// <summary>How many rows were served through EF Core so far.</summary>
    public int Rereads { get; private set; }

    public string ModelName => _onRow ? modelName : throw NotOnRow();

    public ReadOnlySpan<byte> Id => raw.sqlite3_column_blob(Current, 0);

    public ReadOnlySpan<byte> Data => _onRow ? _reread ?? _data.WrittenSpan : throw NotOnRow();

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
        if (TryWrite(_statement))
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
        _writer.Dispose();
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

    /// <summary>Writes the row's JSON into <see cref="_data"/>; false when a value is not one the store writes as
    /// EF Core reads it.</summary>
    private bool TryWrite(sqlite3_stmt statement)
    {
        _data.ResetWrittenCount();
        _writer.Reset(_data);
        _writer.WriteStartObject();
        for (int i = 0; i < properties.Length; i++)
        {
            SqliteJsonProperty property = properties[i];
            int column = 1 + i;
            _writer.WritePropertyName(property.Name);
            int type = raw.sqlite3_column_type(statement, column);
            if (type == raw.SQLITE_NULL)
            {
                if (!property.IsNullable)
                {
                    return false;
                }
                _writer.WriteNullValue();
                continue;
            }
            bool written = property.Kind switch
            {
                StoredValue.Text => type == raw.SQLITE_TEXT && TryWriteText(raw.sqlite3_column_blob(statement, column)),
                StoredValue.DateTime or StoredValue.DateTimeOffset => type == raw.SQLITE_TEXT
                    && TryWriteDate(raw.sqlite3_column_blob(statement, column), property.Kind == StoredValue.DateTimeOffset),
                _ => type == raw.SQLITE_INTEGER && TryWriteInteger(raw.sqlite3_column_int64(statement, column), property),
            };
            if (!written)
            {
                return false;
            }
        }
        _writer.WriteEndObject();
        _writer.Flush();
        return true;
    }

    private bool TryWriteText(ReadOnlySpan<byte> text)
    {
        if (!Utf8.IsValid(text))
        {
            return false;
        }
        _writer.WriteStringValue(text);
        return true;
    }

    private bool TryWriteDate(ReadOnlySpan<byte> text, bool withOffset)
    {
        if (!SqliteDateText.IsCanonical(text, withOffset))
        {
            return false;
        }
        // System.Text.Json writes a date unescaped (its '+' too), so the checked text goes in as it is.
        Span<byte> value = stackalloc byte[MostDateLength];
        value[0] = (byte)'"';
        text.CopyTo(value[1..]);
        value[11] = (byte)'T';
        value[text.Length + 1] = (byte)'"';
        _writer.WriteRawValue(value[..(text.Length + 2)], skipInputValidation: true);
        return true;
    }

    private bool TryWriteInteger(long value, SqliteJsonProperty property)
    {
        switch (property.Kind)
        {
            case StoredValue.Boolean:
                _writer.WriteBooleanValue(value != 0);
                return true;
            case StoredValue.Integer when value >= property.Min && value <= property.Max:
                _writer.WriteNumberValue(value);
                return true;
            case StoredValue.IntegerAsText when value >= property.Min && value <= property.Max:
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(value, digits, out int length);
                _writer.WriteStringValue(digits[..length]);
                return true;
            default:
                return false;
        }
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
