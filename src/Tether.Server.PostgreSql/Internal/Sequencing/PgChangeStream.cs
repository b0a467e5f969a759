using System.Runtime.CompilerServices;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// Reads Tether's replication slot (pgoutput, publication <see cref="PgReplication.Publication"/>) and tells each committed
/// transaction as a <see cref="DecodedTransaction"/>, in commit order. Changes of <c>tether_records</c> and of the
/// synced tables become actions by <see cref="RowChanges"/>; Tether's marker message names the write batch.
/// </summary>
internal sealed class PgChangeStream
{
    /// <summary>How many row changes of synced tables one transaction may hold before it is told as a reset.</summary>
    public const int DefaultMaxActionsPerTransaction = 100_000;

    // V1 without streaming: a transaction arrives whole, after its commit. Binary: every value as its natural CLR type
    // (text mode gives strings that would need parsers of our own). Messages: the marker.
    private static readonly PgOutputReplicationOptions Options = new(PgReplication.Publication, PgOutputProtocolVersion.V1, binary: true, streamingMode: null, messages: true);

    // Stands in a row's values for an unchanged TOAST value until it is taken from the same message's old row.
    private static readonly object UnchangedToast = new();

    private readonly TableReader[] _tables;
    private readonly int _maxActionsPerTransaction;

    public PgChangeStream(IEnumerable<PgSyncedTable> syncedTables, int maxActionsPerTransaction = DefaultMaxActionsPerTransaction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxActionsPerTransaction);
        var tables = new List<TableReader>();
        var names = new HashSet<(string, string)>();
        foreach (PgSyncedTable table in syncedTables)
        {
            if (!names.Add((table.Schema, table.Table)))
            {
                throw new ArgumentException($"The table \"{table.Schema}\".\"{table.Table}\" is synced twice.", nameof(syncedTables));
            }
            if (table.Columns.Select(column => column.Name).Distinct(StringComparer.Ordinal).Count() != table.Columns.Count)
            {
                throw new ArgumentException($"The synced table \"{table.Schema}\".\"{table.Table}\" reads a column twice.", nameof(syncedTables));
            }
            tables.Add(new SyncedTableReader(table));
        }
        // Last: it is known by its name alone, and an app's table of that name in a schema of its own is the app's.
        tables.Add(new RecordsTableReader());
        _tables = [.. tables];
        _maxActionsPerTransaction = maxActionsPerTransaction;
    }

    /// <summary>Whether the stream is inside a transaction (between its Begin and its Commit): the position last
    /// received is then not one the slot may be confirmed up to.</summary>
    public bool InTransaction { get; private set; }

    /// <summary>
    /// Streams the slot from <paramref name="startAt"/> (the end of the last transaction sequenced). A transaction
    /// whose commit is at or before <paramref name="lastCommitLsn"/> is a replay of one already sequenced (the slot
    /// may restart before what it confirmed, after a crash) and is skipped whole.
    /// </summary>
    /// <exception cref="SequencerStoppedException">A change that cannot be told as actions; reading again will not
    /// help.</exception>
    /// <exception cref="UnknownColumnTypeException">A synced column of a type the connection's data source does not
    /// know yet; open the stream again under another connection string.</exception>
    public async IAsyncEnumerable<DecodedTransaction> ReadAsync(
        LogicalReplicationConnection connection,
        string slotName,
        NpgsqlLogSequenceNumber startAt,
        NpgsqlLogSequenceNumber lastCommitLsn,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var relations = new PgRelations(_tables);
        var changes = new RowChanges();
        var transaction = new OpenTransaction();
        byte[] markerBuffer = [];
        InTransaction = false;
        IAsyncEnumerable<PgOutputReplicationMessage> messages = connection.StartReplication(new PgOutputReplicationSlot(slotName), Options, cancellationToken, startAt);
        await foreach (PgOutputReplicationMessage message in messages.ConfigureAwait(false))
        {
            switch (message)
            {
                case BeginMessage begin:
                    if (transaction.Open)
                    {
                        throw new InvalidOperationException("The replication stream began a transaction inside another.");
                    }
                    InTransaction = true;
                    changes.Clear();
                    transaction = new OpenTransaction
                    {
                        Open = true,
                        Xid = begin.TransactionXid,
                        Replay = begin.TransactionFinalLsn <= lastCommitLsn,
                    };
                    break;
                case RelationMessage relation:
                    relations.Describe(relation);
                    break;
                case InsertMessage insert when transaction.Collects:
                    if (Count(relations.Of(insert.Relation), ref transaction, changes) is { } inserted)
                    {
                        object?[] values = await ReadRowAsync(insert.NewRow, inserted, cancellationToken).ConfigureAwait(false);
                        changes.Add(null, Row(inserted, values));
                    }
                    break;
                case FullUpdateMessage update when transaction.Collects:
                    if (Count(relations.Of(update.Relation), ref transaction, changes) is { } updated)
                    {
                        object?[] before = await ReadRowAsync(update.OldRow, updated, cancellationToken).ConfigureAwait(false);
                        object?[] after = await ReadRowAsync(update.NewRow, updated, cancellationToken).ConfigureAwait(false);
                        for (int i = 0; i < after.Length; i++)
                        {
                            // FULL logs the old row whole; the new one leaves out an external value it did not change.
                            if (ReferenceEquals(after[i], UnchangedToast))
                            {
                                after[i] = before[i];
                            }
                        }
                        changes.Add(Row(updated, before), Row(updated, after));
                    }
                    break;
                case FullDeleteMessage delete when transaction.Collects:
                    if (Count(relations.Of(delete.Relation), ref transaction, changes) is { } deleted)
                    {
                        object?[] values = await ReadRowAsync(delete.OldRow, deleted, cancellationToken).ConfigureAwait(false);
                        changes.Add(Row(deleted, values), null);
                    }
                    break;
                case DefaultUpdateMessage or IndexUpdateMessage or KeyDeleteMessage when transaction.Collects:
                    // Only a table without REPLICA IDENTITY FULL logs these, and its Relation message says so first.
                    RelationMessage described = message is UpdateMessage u ? u.Relation : ((KeyDeleteMessage)message).Relation;
                    if (relations.Of(described) is { Reader: not null } binding)
                    {
                        throw new SequencerStoppedException(binding.Problem ?? $"{binding.Name} logged a change without its old row.");
                    }
                    break;
                case TruncateMessage truncate when transaction.Collects:
                    foreach (RelationMessage truncated in truncate.Relations)
                    {
                        if (relations.Of(truncated).Reader is not null)
                        {
                            // Its rows are gone without a change per row: readers can only start over.
                            transaction.Reset = true;
                            changes.Clear();
                        }
                    }
                    break;
                case LogicalDecodingMessage { Flags: not 0, Prefix: MarkerMessage.Prefix } marker when transaction.Collects:
                    if (transaction.Marker is not null)
                    {
                        throw new SequencerStoppedException($"Transaction {transaction.Xid} carries two Tether markers; a write batch emits one.");
                    }
                    int length = checked((int)marker.Data.Length);
                    if (markerBuffer.Length < length)
                    {
                        markerBuffer = new byte[Math.Max(length, 2 * markerBuffer.Length)];
                    }
                    await marker.Data.ReadExactlyAsync(markerBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    try
                    {
                        transaction.Marker = MarkerMessage.Parse(markerBuffer.AsSpan(0, length));
                    }
                    catch (FormatException e)
                    {
                        // Only Tether's writer emits markers: a malformed one is a bug or a foreign writer with rights
                        // on the database. Going on would drop its batch's key, leaving its pushes to time out unseen.
                        throw new SequencerStoppedException($"Transaction {transaction.Xid} carries a malformed Tether marker: {e.Message}", e);
                    }
                    break;
                case CommitMessage commit when transaction.Open:
                    InTransaction = false;
                    OpenTransaction ended = transaction;
                    transaction = default;
                    if (ended.Replay)
                    {
                        break;
                    }
                    (List<ActionDraft> actions, List<string> users) = ended.Reset ? ([], []) : changes.ToActions(ended.Marker);
                    changes.Clear();
                    yield return new DecodedTransaction(
                        ended.Xid,
                        commit.CommitLsn,
                        commit.TransactionEndLsn,
                        commit.TransactionCommitTimestamp,
                        actions,
                        users,
                        ended.Marker?.Key,
                        ended.Reset);
                    break;
                case CommitMessage:
                    throw new InvalidOperationException("The replication stream committed a transaction it did not begin.");
            }
        }
    }

    /// <summary>Counts a change of <paramref name="binding"/>'s relation against the transaction's limit, and tells
    /// whether to read it: null for a relation of no synced table, and once the transaction became a reset.</summary>
    private RelationBinding? Count(RelationBinding binding, ref OpenTransaction transaction, RowChanges changes)
    {
        if (binding.Reader is null)
        {
            return null;
        }
        if (binding.Problem is not null)
        {
            throw new SequencerStoppedException(binding.Problem);
        }
        if (transaction.Reset)
        {
            return null;
        }
        if (++transaction.Changed > _maxActionsPerTransaction)
        {
            // Told as a reset, so what it holds can go: memory stays bounded whatever the transaction's size.
            transaction.Reset = true;
            changes.Clear();
            return null;
        }
        return binding;
    }

    private static ChangedRow Row(RelationBinding binding, object?[] values)
    {
        foreach (object? value in values)
        {
            if (ReferenceEquals(value, UnchangedToast))
            {
                throw new SequencerStoppedException($"{binding.Name} logged a row with a TOASTed value left out and no old row to take it from.");
            }
        }
        return binding.Reader!.Read(values);
    }

    /// <summary>Reads a row's values in order (each can be read only once, before the next), keeping those the
    /// table reads.</summary>
    private static async ValueTask<object?[]> ReadRowAsync(ReplicationTuple tuple, RelationBinding binding, CancellationToken cancellationToken)
    {
        IReadOnlyList<ColumnReader> columns = binding.Reader!.Columns;
        var values = new object?[columns.Count];
        int index = 0;
        await foreach (ReplicationValue value in tuple.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            int slot = binding.Slots[index++];
            if (slot < 0)
            {
                continue;
            }
            if (value.IsDBNull)
            {
                values[slot] = null;
            }
            else if (value.IsUnchangedToastedValue)
            {
                values[slot] = UnchangedToast;
            }
            else
            {
                values[slot] = await ReadValueAsync(value, columns[slot], binding, cancellationToken).ConfigureAwait(false);
            }
        }
        return values;
    }

    private static async ValueTask<object?> ReadValueAsync(ReplicationValue value, ColumnReader column, RelationBinding binding, CancellationToken cancellationToken)
    {
        try
        {
            return await column.ReadAsync(value, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or ArgumentOutOfRangeException)
        {
            // Npgsql gives a type it did not know when the data source loaded its types this name.
            if (value.GetDataTypeName() == "-.-")
            {
                throw new UnknownColumnTypeException(binding.Schema, binding.Table, column.Name);
            }
            // A value of another type than the table reads, or one the type cannot hold (numeric NaN as a decimal).
            throw new SequencerStoppedException($"Column \"{column.Name}\" of {binding.Name} has a value that cannot be read as {column.ClrType.Name}: {e.Message}", e);
        }
    }

    /// <summary>The transaction between a Begin and its Commit.</summary>
    private struct OpenTransaction
    {
        public bool Open;
        public uint Xid;
        public bool Replay;
        public bool Reset;
        public int Changed;
        public MarkerMessage? Marker;

        /// <summary>Whether its changes are read: begun, and not a replay (skipped whole).</summary>
        public readonly bool Collects => Open && !Replay;
    }
}
