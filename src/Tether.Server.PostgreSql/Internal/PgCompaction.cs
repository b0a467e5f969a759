using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Deletes the log up to a syncId and raises the horizon to it; records stay. It locks the <c>tether_head</c> row for
/// the moment it takes, so that the sequencer cannot move the head while it checks the horizon against it (a round
/// waits for it, no writer does).
/// </summary>
internal static class PgCompaction
{
    public static async Task CompactAsync(NpgsqlDataSource dataSource, long upToSyncId, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        long head = await PgReads.BeginAtHeadAsync(connection, transaction, lockTimeout, PgSql.LockHead, cancellationToken).ConfigureAwait(false);
        // A horizon above the head would send clients that are fully caught up to resync_required.
        if (upToSyncId > head)
        {
            throw new ArgumentOutOfRangeException(nameof(upToSyncId), upToSyncId, $"Cannot compact beyond the head ({head}).");
        }
        var statements = new PgStatements();
        statements.Add(PgSql.Compact, ("upTo", upToSyncId));
        await statements.ExecuteAsync(connection, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
