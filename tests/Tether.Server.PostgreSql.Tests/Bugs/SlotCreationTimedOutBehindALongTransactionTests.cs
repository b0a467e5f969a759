using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests.Bugs;

/// <summary>
/// Regression: making the replication slot waits for every transaction already running in the cluster, but it ran
/// under the connection string's command timeout (30 s by default), so a node that started while any other
/// transaction ran longer failed its startup (and test classes that held one failed each other's slots in CI).
/// </summary>
public sealed class SlotCreationTimedOutBehindALongTransactionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_store_starting_behind_a_long_transaction_waits_for_it_past_the_command_timeout()
    {
        await using PostgresDatabase database = await PostgresDatabase.CreateAsync();
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync(Ct);
        await using NpgsqlTransaction running = await other.BeginTransactionAsync(Ct);
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", other, running))
        {
            await xid.ExecuteScalarAsync(Ct);
        }
        await using var store = new PostgreSqlTetherStore(new PostgreSqlStoreOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 2 }.ConnectionString,
        });

        Task starting = store.InitializeAsync(Ct);
        // Twice the command timeout: a startup bound by it has failed by now.
        await Task.Delay(TimeSpan.FromSeconds(4), Ct);
        Assert.False(starting.IsCompleted, starting.Exception?.ToString() ?? "the store started while a transaction older than its slot ran");
        await running.CommitAsync(Ct);

        await starting.WaitAsync(TimeSpan.FromSeconds(60), Ct);
    }
}
