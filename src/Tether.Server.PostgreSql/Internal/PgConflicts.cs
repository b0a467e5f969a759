using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>Tells a transaction that lost to a concurrent one (running it again may succeed) from other failures.</summary>
internal static class PgConflicts
{
    /// <summary>A serialization failure or a deadlock; or a duplicate key in Tether's record table, which a writer
    /// inserts only into after reading the key as absent, so another writer inserted it meanwhile.</summary>
    public static bool IsConflict(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected } => true,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "tether_records" } => true,
        _ => false,
    };
}
