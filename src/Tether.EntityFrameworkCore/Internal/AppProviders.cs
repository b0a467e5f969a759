using System.Data.Common;
using Npgsql;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>The EF Core providers whose databases Tether keeps its tables in, by the name EF Core gives them.</summary>
internal static class AppProviders
{
    public const string Sqlite = "Microsoft.EntityFrameworkCore.Sqlite";

    public const string PostgreSql = "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>True for a connection to PostgreSQL, whose sequencer reads every writer's changes from the
    /// write-ahead log.</summary>
    public static bool IsPostgreSql(DbConnection connection) => connection is NpgsqlConnection;
}
