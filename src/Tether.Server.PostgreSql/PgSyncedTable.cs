namespace Tether.Server.PostgreSql;

/// <summary>
/// A table of the app's whose rows are the records of one synced model. The sequencer reads every change of its rows
/// from PostgreSQL's write-ahead log, whoever made it (a mutator, the app's own SaveChanges, raw SQL, another
/// service), and turns it into sync actions. Tether's migrator publishes the table and sets its replica identity to
/// FULL, so each change carries the row as it was and as it is. <c>Tether.EntityFrameworkCore</c> makes one per
/// mapped model.
/// </summary>
public abstract class PgSyncedTable
{
    /// <summary>The table's schema, as PostgreSQL names it (unquoted), e.g. <c>public</c>.</summary>
    public abstract string Schema { get; }

    /// <summary>The table's name, as PostgreSQL names it (unquoted, case kept).</summary>
    public abstract string Table { get; }

    /// <summary>The synced model whose records the rows are.</summary>
    public abstract string ModelName { get; }

    /// <summary>The columns <see cref="Read"/> needs, in the order it takes their values. The sequencer checks them
    /// against the table each time PostgreSQL describes it, and stops rather than serve rows it cannot read.</summary>
    public abstract IReadOnlyList<PgSyncedColumn> Columns { get; }

    /// <summary>The record a row is: <paramref name="values"/> holds the value of each of <see cref="Columns"/>, in
    /// that order, read as its <see cref="PgSyncedColumn.ClrType"/> (null for SQL NULL).</summary>
    public abstract PgSyncedRow Read(IReadOnlyList<object?> values);
}

/// <summary>A column a <see cref="PgSyncedTable"/> reads, and the CLR type its value is read as (the type Npgsql
/// reads the column's PostgreSQL type as, e.g. <see cref="string"/> for <c>text</c>, <see cref="Guid"/> for
/// <c>uuid</c>, <see cref="DateTime"/> for <c>timestamptz</c>).</summary>
public sealed record PgSyncedColumn(string Name, Type ClrType);

/// <summary>A row as readers see it: its record's id and JSON, the groups it is in, and the users whose groups it
/// decides (a membership row; empty for most tables).</summary>
public sealed record PgSyncedRow(string Id, string Json, IReadOnlyList<string> SyncGroups, IReadOnlyList<string> GroupOwners);
