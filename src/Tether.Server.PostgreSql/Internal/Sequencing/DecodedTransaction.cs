using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// One committed transaction as the write-ahead log tells it, reduced to what the log needs: the sync actions its
/// row changes make (in order, syncIds not yet given), the users whose groups it changed, and the key of the write
/// batch that made it (from Tether's marker message; null for any other writer). <see cref="Reset"/>: the
/// transaction cannot be told as actions (a TRUNCATE of a synced table, or more changes than the sequencer keeps in
/// memory), so every client must bootstrap again.
/// </summary>
internal sealed record DecodedTransaction(
    uint Xid,
    NpgsqlLogSequenceNumber CommitLsn,
    NpgsqlLogSequenceNumber EndLsn,
    DateTime CommittedAt,
    IReadOnlyList<ActionDraft> Actions,
    IReadOnlyList<string> GroupChangeUsers,
    string? BatchKey,
    bool Reset);

/// <summary>A sync action before the sequencer gives it its syncId. <see cref="ClientId"/> and
/// <see cref="MutationId"/> name the mutation that last wrote the record in this transaction, when a Tether write
/// batch made it.</summary>
internal sealed record ActionDraft(
    string Action,
    string ModelName,
    string ModelId,
    string? Data,
    IReadOnlyList<string> SyncGroups,
    string? ClientId,
    long? MutationId);
