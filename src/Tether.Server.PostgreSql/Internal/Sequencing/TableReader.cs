namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>A row as the log needs it: its model and the record it is.</summary>
internal readonly record struct ChangedRow(string Model, PgSyncedRow Row);

/// <summary>Turns a published table's rows into records: which columns it reads, as which types, and what a row
/// of those values is.</summary>
internal abstract class TableReader(string table, IReadOnlyList<ColumnReader> columns)
{
    public string Table => table;

    /// <summary>The columns read, in the order <see cref="Read"/> takes their values.</summary>
    public IReadOnlyList<ColumnReader> Columns => columns;

    /// <summary>Whether a Relation message of this schema and name describes this table.</summary>
    public abstract bool Describes(string schema, string name);

    /// <summary>The record a row is, from the values of <see cref="Columns"/> (null for SQL NULL).</summary>
    public abstract ChangedRow Read(object?[] values);
}

/// <summary><c>tether_records</c>: rows of every model written through Tether's built-in record store.</summary>
internal sealed class RecordsTableReader() : TableReader("tether_records",
[
    new ColumnReader<string>("model"),
    new ColumnReader<string>("id"),
    new ColumnReader<string>("data"),
    new ColumnReader<string[]>("groups"),
])
{
    // The migrator creates tether_records in the connection's default schema, whichever that is, and publishes it:
    // its name is what tells it.
    public override bool Describes(string schema, string name) => name == Table;

    public override ChangedRow Read(object?[] values)
    {
        if (values[0] is not string model || values[1] is not string id || values[2] is not string data || values[3] is not string[] groups || Array.IndexOf(groups, null) >= 0)
        {
            throw new SequencerStoppedException("A row of tether_records has a NULL model, id, data or group, which Tether never writes.");
        }
        // Built-in records decide no user's groups: mutators tell those with SyncGroupsChanged, carried by the marker.
        return new ChangedRow(model, new PgSyncedRow(id, data, groups, []));
    }
}

/// <summary>An app's table, read through its <see cref="PgSyncedTable"/>.</summary>
internal sealed class SyncedTableReader(PgSyncedTable table)
    : TableReader(table.Table, [.. table.Columns.Select(column => ColumnReader.For(column.Name, column.ClrType))])
{
    public override bool Describes(string schema, string name) => schema == table.Schema && name == table.Table;

    public override ChangedRow Read(object?[] values)
    {
        PgSyncedRow row;
        try
        {
            row = table.Read(values);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new SequencerStoppedException($"The synced table \"{table.Schema}\".\"{table.Table}\" of model {table.ModelName} could not read a row: {e.Message}", e);
        }
        return new ChangedRow(table.ModelName, row);
    }
}
