using System.Reflection;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using Tether.Server.PostgreSql;

namespace Tether.EntityFrameworkCore.Tests.Wal;

/// <summary>The values a pgoutput slot gives (binary, as the sequencer streams them), read as each column's
/// <see cref="PgSyncedColumn.ClrType"/>, make the record the store serves.</summary>
public sealed class SyncedTableSlotTests
{
    private static readonly MethodInfo GetAsTyped = typeof(SyncedTableSlotTests).GetMethod(nameof(GetAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rows_inserted_and_updated_read_from_a_pgoutput_slot_are_the_records_the_store_serves()
    {
        await using WalRows<KindsDb> rows = await WalRows<KindsDb>.StartAsync(KindsModels.Map);
        PgSyncedTable table = Assert.Single(rows.Tables);
        string slot = "tether_test_" + Guid.NewGuid().ToString("N");
        string qualified = $"\"{table.Schema}\".\"{table.Table}\"";
        await rows.Database.ExecuteAsync($"ALTER TABLE {qualified} REPLICA IDENTITY FULL; CREATE PUBLICATION wal_test FOR TABLE {qualified}");
        await rows.Database.ScalarAsync($"SELECT lsn FROM pg_create_logical_replication_slot('{slot}', 'pgoutput')");
        Kind[] kinds = KindsModels.Examples();
        await rows.SaveAsync(db => db.AddRange(kinds));
        await rows.SaveAsync(db =>
        {
            db.Attach(kinds[1]);
            kinds[1].MaybeText = "dan";
            kinds[1].Word = "Changed";
            kinds[1].MaybeWhen = DateTimeOffset.UnixEpoch.AddTicks(10);
        });

        List<object?[]> changes = await ReadChangesAsync(rows.Database.PostgresConnection!, slot, table, transactions: 2);

        Assert.Equal(3, changes.Count);
        // The key is the first column; a row's last change is what the store serves now.
        Dictionary<object, object?[]> last = changes.GroupBy(values => values[0]!).ToDictionary(row => row.Key, row => row.Last());
        Assert.Equal(kinds.Select(kind => (object)kind.Id).Order(), last.Keys.Order());
        await rows.AssertReadsAsServedAsync(last.Values.Select(values => (table, values)));
    }

    /// <summary>The new row of each insert and update of <paramref name="table"/> in the next
    /// <paramref name="transactions"/> transactions of the slot, each column read as the table says.</summary>
    private static async Task<List<object?[]>> ReadChangesAsync(string connectionString, string slot, PgSyncedTable table, int transactions)
    {
        var changes = new List<object?[]>();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // A bound for a slot that never delivers, not a wait for anything to settle.
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        await using var replication = new LogicalReplicationConnection(connectionString);
        await replication.Open(bounded.Token);
        var options = new PgOutputReplicationOptions("wal_test", PgOutputProtocolVersion.V1, binary: true, streamingMode: null, messages: true);
        int[] ordinals = [];
        await foreach (PgOutputReplicationMessage message in replication.StartReplication(new PgOutputReplicationSlot(slot), options, bounded.Token))
        {
            switch (message)
            {
                case RelationMessage relation:
                    Assert.Equal((table.Schema, table.Table), (relation.Namespace, relation.RelationName));
                    string[] names = [.. relation.Columns.Select(column => column.ColumnName)];
                    ordinals = [.. table.Columns.Select(column => Array.IndexOf(names, column.Name))];
                    Assert.DoesNotContain(-1, ordinals);
                    break;
                case InsertMessage insert:
                    changes.Add(await ValuesAsync(insert.NewRow, table, ordinals));
                    break;
                case FullUpdateMessage update:
                    changes.Add(await ValuesAsync(update.NewRow, table, ordinals));
                    break;
                case CommitMessage when --transactions == 0:
                    return changes;
            }
        }
        throw new InvalidOperationException("The slot's stream ended before its transactions.");
    }

    private static async Task<object?[]> ValuesAsync(ReplicationTuple tuple, PgSyncedTable table, int[] ordinals)
    {
        var values = new object?[table.Columns.Count];
        int ordinal = 0;
        await foreach (ReplicationValue value in tuple)
        {
            int column = Array.IndexOf(ordinals, ordinal++);
            if (column >= 0 && !value.IsDBNull)
            {
                // What Npgsql reads the value as when not told (Get<object>), is the declared type.
                Assert.Equal(table.Columns[column].ClrType, value.GetFieldType());
                values[column] = await (Task<object?>)GetAsTyped.MakeGenericMethod(table.Columns[column].ClrType).Invoke(null, [value])!;
            }
        }
        return values;
    }

    private static async Task<object?> GetAsync<T>(ReplicationValue value) => await value.Get<T>(Ct);
}
