using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>Tells a write that lost to a concurrent writer (running it again may succeed) from other failures. Only
/// PostgreSQL runs Tether's writers concurrently; SQLite has one writer.</summary>
internal static class DatabaseConflicts
{
    /// <summary>A serialization failure or a deadlock, however EF Core wrapped it.</summary>
    public static bool IsConflict(Exception exception)
        => Postgres(exception) is { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    /// <summary>A duplicate of the primary key of one of <paramref name="entities"/>' tables. A write transaction
    /// inserts a mapped row only for a key it read as absent (a mutator's read, or the staging's lookup), and never
    /// changes a key, so the row was committed by a concurrent writer after the transaction's snapshot.</summary>
    public static bool IsTakenKey(DbUpdateException exception, IEnumerable<IEntityType> entities)
    {
        if (Postgres(exception) is not { SqlState: PostgresErrorCodes.UniqueViolation } duplicate)
        {
            return false;
        }
        foreach (IEntityType entity in entities)
        {
            if (entity.GetTableName() == duplicate.TableName
                && (entity.GetSchema() ?? "public") == duplicate.SchemaName
                && entity.FindPrimaryKey()?.GetName() == duplicate.ConstraintName)
            {
                return true;
            }
        }
        return false;
    }

    private static PostgresException? Postgres(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return postgres;
            }
        }
        return null;
    }
}
