namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// A synced column's PostgreSQL type was created after the replication connection's data source loaded its types
/// (Npgsql names it <c>-.-</c>), so its values cannot be read. Npgsql loads types once per connection string: the
/// stream must be opened again under another connection string before the change can be read.
/// </summary>
internal sealed class UnknownColumnTypeException(string schema, string table, string column)
    : Exception($"The type of column \"{column}\" of \"{schema}\".\"{table}\" is newer than the replication connection's type list.")
{
    public string Schema => schema;

    public string Table => table;

    public string Column => column;
}
