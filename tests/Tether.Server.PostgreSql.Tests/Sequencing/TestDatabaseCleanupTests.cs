using Npgsql;
using Npgsql.Replication;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>The test harness's cleanup with a sequencer still streaming: a walsender holds the database, which
/// <c>DROP DATABASE … WITH (FORCE)</c> alone does not end.</summary>
public sealed class TestDatabaseCleanupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_test_database_whose_slot_is_being_streamed_is_dropped_with_its_slot()
    {
        PostgresDatabase database = await PostgresDatabase.CreateAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        LogicalReplicationConnection? replication = null;
        IAsyncEnumerator<DecodedTransaction>? stream = null;
        Task<bool>? reading = null;
        try
        {
            string slot = database.Name;
            await using (var connection = new NpgsqlConnection(database.ConnectionString))
            {
                await connection.OpenAsync(Ct);
                await using var publish = new NpgsqlCommand($"CREATE PUBLICATION {PgReplication.Publication} FOR ALL TABLES", connection);
                await publish.ExecuteNonQueryAsync(Ct);
                await using var create = new NpgsqlCommand($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')", connection);
                await create.ExecuteNonQueryAsync(Ct);
            }
            replication = new LogicalReplicationConnection(database.ConnectionString);
            await replication.Open(Ct);
            stream = new PgChangeStream([]).ReadAsync(replication, slot, default, default, stop.Token).GetAsyncEnumerator(stop.Token);
            reading = stream.MoveNextAsync().AsTask();
            while (await SlotAsync(slot) is not true)
            {
                Assert.False(reading.IsCompleted, "The stream ended before its slot was active.");
                await Task.Delay(20, Ct);
            }

            await database.DisposeAsync();

            Assert.Null(await SlotAsync(slot));
            await using (var admin = new NpgsqlConnection(database.AdminConnectionString))
            {
                await admin.OpenAsync(Ct);
                await using var exists = new NpgsqlCommand("SELECT count(*)::int FROM pg_database WHERE datname = @name", admin);
                exists.Parameters.AddWithValue("name", database.Name);
                Assert.Equal(0, (int)(await exists.ExecuteScalarAsync(Ct))!);
            }
            var ended = await Assert.ThrowsAsync<PostgresException>(() => reading);
            Assert.Equal(PostgresErrorCodes.AdminShutdown, ended.SqlState);
        }
        finally
        {
            // For a test that failed before its own drop: the stream is stopped before it is disposed (an async
            // iterator cannot be disposed while it reads), then the database goes (a second drop does nothing).
            await stop.CancelAsync();
            if (reading is not null)
            {
                await Task.WhenAny(reading);
            }
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            if (replication is not null)
            {
                await replication.DisposeAsync();
            }
            await database.DisposeAsync();
        }
    }

    /// <summary>Whether the slot is active, or null when there is no such slot.</summary>
    private static async Task<bool?> SlotAsync(string slot)
    {
        await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable(PostgresDatabase.ServerVariable));
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT active FROM pg_replication_slots WHERE slot_name = @slot", connection);
        command.Parameters.AddWithValue("slot", slot);
        return (bool?)await command.ExecuteScalarAsync(Ct);
    }
}
