using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// The statements that write a batch's records, given each record's groups now (null when absent), read under the
/// commit's lock. They run in the batch's order, since the sequencer gives a transaction's actions their syncIds in
/// the order its rows changed and a client's mutations must reach the log in the order they ran; consecutive new
/// records are inserted by one statement, in that order, so that a batch of creations costs a few statements rather
/// than a few per record.
/// </summary>
internal static class PgRecordStatements
{
    // Each record's groups are its slice of the flat array: records may have any number of groups, and PostgreSQL's
    // arrays must be rectangular.
    private const string GroupsOfEach = "(@flat::text[])[k.s:k.s + k.c - 1]";

    private const string SortedGroupsOfEach = "ARRAY(SELECT DISTINCT g COLLATE \"C\" FROM unnest(" + GroupsOfEach + ") g ORDER BY 1)";

    private const string Keys = "unnest(@models::text[], @ids::text[], @datas::text[], @starts::int4[], @counts::int4[]) WITH ORDINALITY AS k(model, id, data, s, c, n)";

    /// <summary>New records, each with its groups as the slice of <c>@flat</c> from <c>s</c> (1-based), <c>c</c> long.</summary>
    public const string InsertRecords =
        "INSERT INTO tether_records(model, id, data, groups) SELECT k.model, k.id, k.data, " + SortedGroupsOfEach + " FROM " + Keys + " ORDER BY k.n; " +
        "INSERT INTO tether_groups(name) SELECT DISTINCT unnest(@flat::text[]) ON CONFLICT (name) DO NOTHING; " +
        "INSERT INTO tether_record_groups(model, id, group_id) SELECT DISTINCT k.model, k.id, g.id FROM " + Keys + " " +
        "CROSS JOIN LATERAL unnest(" + GroupsOfEach + ") AS f(name) JOIN tether_groups g ON g.name = f.name";

    public static void Add(PgStatements statements, IReadOnlyList<RecordWrite> records, Func<RecordWrite, string[]?> groupsNow)
    {
        var inserts = new List<RecordWrite>();
        foreach (RecordWrite record in records)
        {
            string[]? groups = groupsNow(record);
            if (!record.IsDelete && groups is null)
            {
                inserts.Add(record);
                continue;
            }
            AddInserts(statements, inserts);
            AddChange(statements, record, groups);
        }
        AddInserts(statements, inserts);
    }

    private static void AddInserts(PgStatements statements, List<RecordWrite> inserts)
    {
        if (inserts.Count == 0)
        {
            return;
        }
        var flat = new List<string>();
        int[] starts = new int[inserts.Count], counts = new int[inserts.Count];
        for (int i = 0; i < inserts.Count; i++)
        {
            starts[i] = flat.Count + 1;
            counts[i] = inserts[i].SyncGroups.Count;
            flat.AddRange(inserts[i].SyncGroups);
        }
        statements.Add(InsertRecords,
            ("models", inserts.Select(r => r.ModelName).ToArray()),
            ("ids", inserts.Select(r => r.Id).ToArray()),
            ("datas", inserts.Select(r => r.Data).ToArray()),
            ("starts", starts),
            ("counts", counts),
            ("flat", flat.ToArray()));
        inserts.Clear();
    }

    /// <summary>A record that exists: deleted, updated in place (its group links kept when its groups stay), or moved.</summary>
    private static void AddChange(PgStatements statements, RecordWrite record, string[]? groupsNow)
    {
        if (record.IsDelete)
        {
            if (groupsNow is not null)
            {
                statements.Add(PgSql.DeleteRecord, ("model", record.ModelName), ("id", record.Id));
            }
            return;
        }
        if (groupsNow!.SequenceEqual(record.SyncGroups, StringComparer.Ordinal))
        {
            statements.Add(PgSql.UpdateRecordData, ("model", record.ModelName), ("id", record.Id), ("data", record.Data));
        }
        else
        {
            statements.Add(PgSql.UpdateRecord, ("model", record.ModelName), ("id", record.Id), ("data", record.Data), ("groups", (string[])[.. record.SyncGroups]));
        }
    }
}
