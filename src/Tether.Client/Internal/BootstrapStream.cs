using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>A bootstrap response read line by line as it arrives. Each <c>rows</c> line is parsed once, straight
/// from the response's bytes: every row is kept as its own UTF-8 JSON slice, with only its id read out. A response
/// that ends without its <c>end</c> line, or whose count disagrees, fails; the caller discards the bootstrap whole.</summary>
internal sealed class BootstrapStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly PipeReader _reader;
    private long _rows;
    private bool _ended;

    private BootstrapStream(HttpResponseMessage response, PipeReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>The position the bootstrap's data reflects.</summary>
    public long FirstSyncId { get; private set; }

    /// <summary>The groups it covers.</summary>
    public IReadOnlyList<string> SyncGroups { get; private set; } = [];

    /// <summary>Rows read so far.</summary>
    public long RowCount => _rows;

    /// <summary>Takes a successful response and reads its <c>start</c> line.</summary>
    public static async Task<BootstrapStream> OpenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        BootstrapStream stream;
        try
        {
            stream = new BootstrapStream(response, PipeReader.Create(await response.Content.ReadAsStreamAsync(cancellationToken)));
        }
        catch
        {
            response.Dispose();
            throw;
        }
        try
        {
            Line start = await stream.ReadLineAsync(cancellationToken)
                ?? throw new IOException("The bootstrap ended before its start line; it is discarded.");
            if (start.Type != BootstrapLineTypes.Start)
            {
                throw new InvalidDataException($"The bootstrap started with a '{start.Type}' line.");
            }
            stream.FirstSyncId = start.FirstSyncId;
            stream.SyncGroups = start.SyncGroups;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>The next <c>rows</c> line's rows, or null after a complete <c>end</c> line.</summary>
    public async ValueTask<IReadOnlyList<BootstrapRow>?> ReadRowsAsync(CancellationToken cancellationToken)
    {
        while (!_ended)
        {
            Line line = await ReadLineAsync(cancellationToken)
                ?? throw new IOException("The bootstrap ended before its end line; it is discarded.");
            switch (line.Type)
            {
                case BootstrapLineTypes.Rows:
                    if (line.Rows.Count == 0)
                    {
                        continue;
                    }
                    _rows += line.Rows.Count;
                    return line.Rows;
                case BootstrapLineTypes.End:
                    if (line.RowCount != _rows)
                    {
                        throw new InvalidDataException($"The bootstrap announced {line.RowCount} rows and carried {_rows}.");
                    }
                    _ended = true;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected bootstrap line '{line.Type}'.");
            }
        }
        return null;
    }

    private async ValueTask<Line?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read = await _reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                ReadOnlySequence<byte> text = buffer.Slice(0, end);
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                if (text.Length == 0)
                {
                    continue;
                }
                Line line = Parse(text);
                _reader.AdvanceTo(buffer.Start);
                return line;
            }
            if (read.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                return buffer.Length == 0 ? null : Parse(buffer);
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>One line, in one pass; properties may come in any order.</summary>
    private static Line Parse(ReadOnlySequence<byte> text)
    {
        var reader = new Utf8JsonReader(text);
        Expect(ref reader, JsonTokenType.StartObject);
        var line = new Line();
        List<(string Id, byte[] Data)> rows = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "type":
                    line.Type = reader.GetString();
                    break;
                case "modelName":
                    line.ModelName = reader.GetString();
                    break;
                case "firstSyncId":
                    line.FirstSyncId = reader.GetInt64();
                    break;
                case "rowCount":
                    line.RowCount = reader.GetInt64();
                    break;
                case "syncGroups":
                    line.SyncGroups = ReadStrings(ref reader);
                    break;
                case "rows":
                    ReadRows(ref reader, text, rows);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (rows.Count > 0)
        {
            string model = line.ModelName ?? throw new InvalidDataException("A bootstrap rows line has no modelName.");
            line.Rows = [.. rows.Select(r => new BootstrapRow(model, r.Id, r.Data))];
        }
        return line;
    }

    private static void ReadRows(ref Utf8JsonReader reader, ReadOnlySequence<byte> text, List<(string Id, byte[] Data)> rows)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("A bootstrap line's rows are an array.");
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("A bootstrap row is a JSON object.");
            }
            long start = reader.TokenStartIndex;
            int depth = reader.CurrentDepth;
            string? id = null;
            while (reader.Read() && reader.CurrentDepth > depth)
            {
                bool isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.String)
                {
                    id = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
            byte[] data = text.Slice(start, reader.BytesConsumed - start).ToArray();
            rows.Add((id ?? throw new InvalidDataException("A bootstrap row has no string id."), data));
        }
    }

    private static string[] ReadStrings(ref Utf8JsonReader reader)
    {
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            values.Add(reader.GetString() ?? throw new InvalidDataException("A sync group is a string."));
        }
        return [.. values];
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new InvalidDataException("A bootstrap line is a JSON object.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _response.Dispose();
    }

    private sealed class Line
    {
        public string? Type { get; set; }
        public string? ModelName { get; set; }
        public long FirstSyncId { get; set; }
        public long RowCount { get; set; }
        public IReadOnlyList<string> SyncGroups { get; set; } = [];
        public IReadOnlyList<BootstrapRow> Rows { get; set; } = [];
    }
}

/// <summary>One bootstrapped record: its model, id and UTF-8 JSON.</summary>
internal readonly record struct BootstrapRow(string ModelName, string Id, byte[] Data);
