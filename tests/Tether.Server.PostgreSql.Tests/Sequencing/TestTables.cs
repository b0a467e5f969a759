using System.Text.Json.Nodes;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>An app's table of issues: each row an <c>issue</c> record in the group of its team.</summary>
internal sealed class IssuesTable : PgSyncedTable
{
    public const string Sql = """
        CREATE TABLE issues(id text PRIMARY KEY, team text NOT NULL, title text NOT NULL, body text NOT NULL);
        ALTER TABLE issues REPLICA IDENTITY FULL;
        ALTER TABLE issues ALTER COLUMN body SET STORAGE EXTERNAL;
        """;

    public override string Schema => "public";

    public override string Table => "issues";

    public override string ModelName => "issue";

    public override IReadOnlyList<PgSyncedColumn> Columns { get; } =
    [
        new("id", typeof(string)),
        new("team", typeof(string)),
        new("title", typeof(string)),
        new("body", typeof(string)),
    ];

    public static string Json(string id, string team, string title, string body)
        => new JsonObject { ["id"] = id, ["team"] = team, ["title"] = title, ["body"] = body }.ToJsonString();

    public override PgSyncedRow Read(IReadOnlyList<object?> values)
    {
        var (id, team, title, body) = ((string)values[0]!, (string)values[1]!, (string)values[2]!, (string)values[3]!);
        return new PgSyncedRow(id, Json(id, team, title, body), ["team-" + team], []);
    }
}

/// <summary>A membership table: a row puts its user in its team's group, so it decides that user's groups.</summary>
internal sealed class MembersTable : PgSyncedTable
{
    public const string Sql = """
        CREATE TABLE members(id text PRIMARY KEY, user_id text NOT NULL, team text NOT NULL);
        ALTER TABLE members REPLICA IDENTITY FULL;
        """;

    public override string Schema => "public";

    public override string Table => "members";

    public override string ModelName => "member";

    // Not in the table's order, to show the values come in this order whatever the table's.
    public override IReadOnlyList<PgSyncedColumn> Columns { get; } =
    [
        new("team", typeof(string)),
        new("id", typeof(string)),
        new("user_id", typeof(string)),
    ];

    public static string Json(string id, string user, string team)
        => new JsonObject { ["id"] = id, ["user"] = user, ["team"] = team }.ToJsonString();

    public override PgSyncedRow Read(IReadOnlyList<object?> values)
    {
        var (team, id, user) = ((string)values[0]!, (string)values[1]!, (string)values[2]!);
        return new PgSyncedRow(id, Json(id, user, team), ["team-" + team], [user]);
    }
}

/// <summary>A table read with typed columns: an amount as a decimal and a count as a nullable int.</summary>
internal sealed class PricesTable : PgSyncedTable
{
    public const string Sql = """
        CREATE TABLE prices(id text PRIMARY KEY, amount numeric NOT NULL, stock int);
        ALTER TABLE prices REPLICA IDENTITY FULL;
        """;

    public override string Schema => "public";

    public override string Table => "prices";

    public override string ModelName => "price";

    public override IReadOnlyList<PgSyncedColumn> Columns { get; } =
    [
        new("id", typeof(string)),
        new("amount", typeof(decimal)),
        new("stock", typeof(int?)),
    ];

    public override PgSyncedRow Read(IReadOnlyList<object?> values)
    {
        var json = new JsonObject { ["amount"] = (decimal)values[1]!, ["stock"] = (int?)values[2] };
        return new PgSyncedRow((string)values[0]!, json.ToJsonString(), ["shop"], []);
    }
}

/// <summary>A synced table as an app describes it, over whatever table the test makes.</summary>
internal sealed class GivenTable(string table, string model, params PgSyncedColumn[] columns) : PgSyncedTable
{
    public override string Schema => "public";

    public override string Table => table;

    public override string ModelName => model;

    public override IReadOnlyList<PgSyncedColumn> Columns => columns;

    public override PgSyncedRow Read(IReadOnlyList<object?> values)
        => new((string)values[0]!, new JsonArray([.. values.Select(value => JsonValue.Create(value?.ToString()))]).ToJsonString(), ["all"], []);
}
