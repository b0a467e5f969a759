using System.Buffers;
using System.Text;
using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Reads rows of model, id and data as the UTF-8 bytes PostgreSQL sent, copied into buffers the cursor reuses; the
/// model's string is made once per model, not once per row.
/// </summary>
internal sealed class PgRecordCursor : IStoredRecordCursor
{
    private readonly NpgsqlCommand _command;
    private NpgsqlDataReader? _reader;
    private byte[] _model = ArrayPool<byte>.Shared.Rent(64);
    private byte[] _id = ArrayPool<byte>.Shared.Rent(256);
    private byte[] _data = ArrayPool<byte>.Shared.Rent(4096);
    private int _idLength;
    private int _dataLength;
    private byte[] _modelNameBytes = [];
    private string _modelName = "";
    private bool _onRecord;

    public PgRecordCursor(NpgsqlCommand command) => _command = command;

    public string ModelName => _onRecord ? _modelName : throw NotOnRecord();

    public ReadOnlySpan<byte> Id => _onRecord ? _id.AsSpan(0, _idLength) : throw NotOnRecord();

    public ReadOnlySpan<byte> Data => _onRecord ? _data.AsSpan(0, _dataLength) : throw NotOnRecord();

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        _onRecord = false;
        _reader ??= await _command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        // The whole row is buffered by now (default access), so the copies below do no I/O.
        int modelLength = Copy(_reader, 0, ref _model);
        if (!_model.AsSpan(0, modelLength).SequenceEqual(_modelNameBytes))
        {
            _modelNameBytes = _model.AsSpan(0, modelLength).ToArray();
            _modelName = Encoding.UTF8.GetString(_modelNameBytes);
        }
        _idLength = Copy(_reader, 1, ref _id);
        _dataLength = Copy(_reader, 2, ref _data);
        _onRecord = true;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _onRecord = false;
        if (_reader is not null)
        {
            await _reader.DisposeAsync().ConfigureAwait(false);
        }
        await _command.DisposeAsync().ConfigureAwait(false);
        foreach (byte[] buffer in (byte[][])[_model, _id, _data])
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        _model = _id = _data = [];
    }

    private static int Copy(NpgsqlDataReader reader, int ordinal, ref byte[] buffer)
    {
        int length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        if (length > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(length);
        }
        return (int)reader.GetBytes(ordinal, 0, buffer, 0, length);
    }

    private static InvalidOperationException NotOnRecord() => new("The cursor is not on a record: call ReadAsync first and stop when it returns false.");
}
