using Npgsql.Replication.PgOutput.Messages;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The published relations as the stream's latest Relation messages describe them (PostgreSQL sends one before a
/// relation's first change on each connection, and again after it changed), each bound to the table reader of
/// Tether's table it is, or to none.
/// </summary>
internal sealed class PgRelations
{
    private readonly IReadOnlyList<TableReader> _tables;
    private readonly Dictionary<uint, RelationBinding> _relations = [];

    public PgRelations(IReadOnlyList<TableReader> tables) => _tables = tables;

    public void Describe(RelationMessage relation)
    {
        TableReader? reader = null;
        foreach (TableReader table in _tables)
        {
            if (table.Describes(relation.Namespace, relation.RelationName))
            {
                reader = table;
                break;
            }
        }
        _relations[relation.RelationId] = reader is null ? RelationBinding.Ignored : Bind(relation, reader);
    }

    /// <summary>What a change of <paramref name="relation"/> is read with. Npgsql refuses a change whose relation
    /// was not described, so each one here was.</summary>
    public RelationBinding Of(RelationMessage relation) => _relations[relation.RelationId];

    private static RelationBinding Bind(RelationMessage relation, TableReader reader)
    {
        (string schema, string table) = (relation.Namespace, relation.RelationName);
        string name = $"\"{schema}\".\"{table}\"";
        if (relation.ReplicaIdentity != RelationMessage.ReplicaIdentitySetting.AllColumns)
        {
            // Without the old row a delete or a move cannot name the groups the row leaves, nor an update the
            // TOASTed values it keeps.
            return new RelationBinding(schema, table, reader, [], $"{name} is published without REPLICA IDENTITY FULL (it is {relation.ReplicaIdentity}); Tether's migrator sets it, so the table was altered since.");
        }
        var slots = new int[relation.Columns.Count];
        Array.Fill(slots, -1);
        for (int slot = 0; slot < reader.Columns.Count; slot++)
        {
            string column = reader.Columns[slot].Name;
            int index = IndexOf(relation, column);
            if (index < 0)
            {
                return new RelationBinding(schema, table, reader, [], $"{name} has no column \"{column}\", which its synced model reads.");
            }
            slots[index] = slot;
        }
        return new RelationBinding(schema, table, reader, slots, null);
    }

    private static int IndexOf(RelationMessage relation, string column)
    {
        for (int i = 0; i < relation.Columns.Count; i++)
        {
            if (relation.Columns[i].ColumnName == column)
            {
                return i;
            }
        }
        return -1;
    }
}

/// <summary>How the changes of one relation are read. <see cref="Reader"/> null: not a table of Tether's, its changes
/// are skipped. <see cref="Problem"/> set: Tether's table, but its rows cannot be read as they are; said when a change
/// of it must be read, not before, since a replayed transaction's relation is described as it was back then.
/// <see cref="Slots"/>: for each of the relation's columns, the index of its value among the reader's columns, or -1
/// when the reader does not need it.</summary>
internal sealed record RelationBinding(string Schema, string Table, TableReader? Reader, int[] Slots, string? Problem)
{
    public static readonly RelationBinding Ignored = new("", "", null, [], null);

    /// <summary>The relation's name as SQL quotes it, for messages.</summary>
    public string Name => $"\"{Schema}\".\"{Table}\"";
}
