using Tether.Server.PostgreSql;

namespace Tether.EntityFrameworkCore.Internal.Wal;

/// <summary>
/// A mapped model's table as PostgreSQL's write-ahead log gives its rows: each row's columns become an entity object
/// (<see cref="EfSyncedTables"/> compiles how), which the model then serves as bootstrap does (<see cref="MappedModel.RowOf"/>),
/// so a row read from the log is the record readers get from the table.
/// </summary>
internal sealed class EfSyncedTable(MappedModel model, string schema, string table, IReadOnlyList<PgSyncedColumn> columns, Func<IReadOnlyList<object?>, object> build)
    : PgSyncedTable
{
    public override string Schema => schema;

    public override string Table => table;

    public override string ModelName => model.Name;

    public override IReadOnlyList<PgSyncedColumn> Columns => columns;

    public override PgSyncedRow Read(IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != columns.Count)
        {
            throw new ArgumentException($"A row of {schema}.{table} has {columns.Count} values to read, not {values.Count}.", nameof(values));
        }
        object entity = build(values);
        Capture.RowImage row = model.RowOf(entity);
        return new PgSyncedRow(model.IdOf(entity), row.Json, row.SyncGroups, row.GroupOwners);
    }
}
