using System.Text.RegularExpressions;
using Npgsql;
using Tether.Server.PostgreSql.Internal;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>
/// Regression: the commit check's lookups were prepared while the tables were small, and PostgreSQL pulled the
/// per-key subquery up into a hash join over a scan of the whole table. The generic plan stuck to the connection, so
/// every commit read all of <c>tether_records</c> (1.1 ms a commit at 27,000 records, half of PostgreSQL's CPU in the
/// burn bench) and would have read millions of rows in a grown store. Each key must be an index lookup whatever the
/// table's statistics were when the statement was prepared.
/// </summary>
public sealed partial class CommitCheckScannedWholeTablesTests : FreshStore
{
    public static TheoryData<string, string> Lookups => new()
    {
        { nameof(PgReadSet.RecordVersions), PgReadSet.RecordVersions },
        { nameof(PgReadSet.ClientVersions), PgReadSet.ClientVersions },
        { nameof(PgReadSet.ListVersions), PgReadSet.ListVersions },
    };

    [Theory]
    [MemberData(nameof(Lookups))]
    public async Task A_commit_check_lookup_planned_on_an_empty_store_reads_each_key_through_an_index(string name, string statement)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await ExecuteAsync(connection, "SET plan_cache_mode = force_generic_plan");
        await ExecuteAsync(connection, $"PREPARE lookup AS {Positional(statement)}");

        string plan = await ExplainAsync(connection, ExecuteWithNulls(statement));

        Assert.False(ScanOfATable().IsMatch(plan), $"{name} scans a table:\n{plan}");
    }

    /// <summary>Npgsql's named parameters, as the positional ones PREPARE takes, in order of first appearance.</summary>
    private static string Positional(string statement)
    {
        var names = Parameters(statement);
        return Parameter().Replace(statement, m => "$" + (names.IndexOf(m.Groups[1].Value) + 1));
    }

    private static string ExecuteWithNulls(string statement)
        => "EXECUTE lookup(" + string.Join(", ", Parameters(statement).Select(_ => "NULL")) + ")";

    private static List<string> Parameters(string statement)
        => Parameter().Matches(statement).Select(m => m.Groups[1].Value).Distinct().ToList();

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<string> ExplainAsync(NpgsqlConnection connection, string execute)
    {
        await using var command = new NpgsqlCommand("EXPLAIN " + execute, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var lines = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"Seq Scan on tether_")]
    private static partial Regex ScanOfATable();
}
