using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>Tells a row the database refuses for good (it breaks a rule of its table) from a failure that may pass
/// (a lock, a lost connection, a full disk).</summary>
internal static class DatabaseRefusals
{
    private const int SqliteTooBig = 18;
    private const int SqliteConstraint = 19;
    private const int SqliteMismatch = 20;

    public static bool IsRefusal(DbUpdateException exception) => exception.InnerException switch
    {
        // Every constraint (NOT NULL, UNIQUE, PRIMARY KEY, FOREIGN KEY, CHECK) and a trigger's RAISE(ABORT).
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteConstraint or SqliteMismatch or SqliteTooBig,
        // Class 23 (integrity constraint violation), class 22 (data exception: a value too long, out of range or
        // malformed for its column) and a trigger's RAISE EXCEPTION.
        PostgresException postgres => postgres.SqlState.StartsWith("23", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("22", StringComparison.Ordinal)
            || postgres.SqlState == PostgresErrorCodes.RaiseException,
        _ => false,
    };
}
