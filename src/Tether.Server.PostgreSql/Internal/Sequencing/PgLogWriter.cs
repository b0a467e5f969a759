using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// Writes one round of the sequencer: the actions of every decoded transaction given, with gap-free syncIds in commit
/// order, their groups, the group changes, one <c>tether_wal_transactions</c> row per transaction a writer waits for
/// or that has actions, the head and the WAL position the log now reaches, all in one transaction. The head moves
/// through <c>tether_advance_head</c>, so a leader that was replaced writes nothing; the NOTIFY tells every node the
/// new head and which write batches are sequenced.
/// </summary>
internal static class PgLogWriter
{
    /// <summary>PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; past this, nodes read the rest.</summary>
    private const int MaxPayload = 7_800;

    public const string RoundTruncated = "+";

    private const string AdvanceHead = "SELECT tether_advance_head(@epoch, @from, @to, @lsn, @commitLsn)";

    private const string InsertActions =
        "INSERT INTO tether_actions(sync_id, action, model, model_id, data, client_id, mutation_id) " +
        "SELECT * FROM unnest(@ids::bigint[], @actions::text[], @models::text[], @modelIds::text[], @data::text[], @clients::text[], @mutations::bigint[])";

    private const string MarkTime = "INSERT INTO tether_log_times(sync_id, committed_at) VALUES(@to, now()) ON CONFLICT DO NOTHING";

    private const string EnsureGroups = "INSERT INTO tether_groups(name) SELECT DISTINCT unnest(@names::text[]) ON CONFLICT (name) DO NOTHING";

    private const string InsertActionGroups =
        "INSERT INTO tether_action_groups(sync_id, group_id) " +
        "SELECT a.s, g.id FROM unnest(@groupIds::bigint[], @groupNames::text[]) AS a(s, n) JOIN tether_groups g ON g.name = a.n " +
        "ON CONFLICT DO NOTHING";

    private const string InsertGroupChanges =
        "INSERT INTO tether_group_changes(sync_id, user_id) SELECT * FROM unnest(@changeIds::bigint[], @changeUsers::text[]) ON CONFLICT DO NOTHING";

    // The decoded xid has 32 bits; widened against this transaction's own xid, assigned after every decoded
    // transaction committed (so above each, and within 2^31 of it while PostgreSQL's wraparound protection holds).
    // Not against a snapshot's xmax: a transaction is decoded once its commit is flushed, but counts in xmax only once
    // it becomes visible, a moment later; widened against xmax it would land in the previous epoch, and the seam
    // would take it as visible to every snapshot.
    private const string InsertTransactions =
        "INSERT INTO tether_wal_transactions(commit_lsn, xid, first_sync_id, last_sync_id, batch_key, committed_at) " +
        "SELECT t.c, CASE WHEN ((m.x & ~4294967295::bigint) | t.x) >= m.x THEN ((m.x & ~4294967295::bigint) | t.x) - 4294967296 " +
        "ELSE (m.x & ~4294967295::bigint) | t.x END, t.f, t.l, t.k, t.a " +
        "FROM unnest(@commits::text[]::pg_lsn[], @xids::bigint[], @firsts::bigint[], @lasts::bigint[], @keys::text[], @committedAt::timestamptz[]) AS t(c, x, f, l, k, a), " +
        "(SELECT pg_current_xact_id()::text::bigint AS x) AS m";

    private const string RaiseHorizon = "UPDATE tether_meta SET value = greatest(value, @horizon) WHERE key = 'horizon'";

    private const string Notify = "SELECT pg_notify('" + PgSql.CommitChannel + "', @payload)";

    public const string Prune = "DELETE FROM tether_wal_transactions WHERE committed_at < now() - interval '1 hour'";

    /// <summary>Writes and commits the round; returns the new head. Throws when the round was not committed (a
    /// fenced leader gets a <see cref="PostgresException"/> with SQLSTATE TH001).</summary>
    public static async Task<SequencedRound> WriteAsync(
        NpgsqlConnection connection, long epoch, long head, IReadOnlyList<DecodedTransaction> transactions, bool prune, CancellationToken cancellationToken)
    {
        SequencedRound round = Plan(head, transactions);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        DecodedTransaction last = transactions[^1];
        Add(batch, AdvanceHead, ("epoch", epoch), ("from", head), ("to", round.Head), ("lsn", last.EndLsn), ("commitLsn", last.CommitLsn));
        if (round.Ids.Count > 0)
        {
            Add(batch, InsertActions, ("ids", round.Ids.ToArray()), ("actions", round.Actions.ToArray()), ("models", round.Models.ToArray()),
                ("modelIds", round.ModelIds.ToArray()), ("data", round.Data.ToArray()), ("clients", round.Clients.ToArray()), ("mutations", round.Mutations.ToArray()));
            Add(batch, MarkTime, ("to", round.Head));
        }
        if (round.GroupIds.Count > 0)
        {
            string[] names = round.GroupNames.ToArray();
            Add(batch, EnsureGroups, ("names", names));
            Add(batch, InsertActionGroups, ("groupIds", round.GroupIds.ToArray()), ("groupNames", names));
        }
        if (round.ChangeIds.Count > 0)
        {
            Add(batch, InsertGroupChanges, ("changeIds", round.ChangeIds.ToArray()), ("changeUsers", round.ChangeUsers.ToArray()));
        }
        if (round.Logged.Count > 0)
        {
            Add(batch, InsertTransactions,
                ("commits", round.Logged.Select(t => t.CommitLsn.ToString()).ToArray()),
                ("xids", round.Logged.Select(t => (long)t.Xid).ToArray()),
                ("firsts", round.Logged.Select(t => t.First).ToArray()),
                ("lasts", round.Logged.Select(t => t.Last).ToArray()),
                ("keys", round.Logged.Select(t => t.BatchKey).ToArray()),
                ("committedAt", round.Logged.Select(t => t.CommittedAt).ToArray()));
        }
        if (round.Horizon is { } horizon)
        {
            Add(batch, RaiseHorizon, ("horizon", horizon));
        }
        if (prune)
        {
            Add(batch, Prune);
        }
        Add(batch, Notify, ("payload", round.Payload(last.EndLsn)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return round;
    }

    /// <summary>Gives the transactions' actions their syncIds from <paramref name="head"/> + 1 on.</summary>
    public static SequencedRound Plan(long head, IReadOnlyList<DecodedTransaction> transactions)
    {
        var round = new SequencedRound();
        foreach (DecodedTransaction transaction in transactions)
        {
            long first = head + 1;
            if (transaction.Reset)
            {
                // Nothing of it can be told as actions: the head steps over one syncId that no action has, and the
                // horizon follows it, so every client is below it and bootstraps again.
                head++;
                round.Horizon = head;
            }
            else
            {
                foreach (ActionDraft action in transaction.Actions)
                {
                    head++;
                    round.Ids.Add(head);
                    round.Actions.Add(action.Action);
                    round.Models.Add(action.ModelName);
                    round.ModelIds.Add(action.ModelId);
                    round.Data.Add(action.Data);
                    round.Clients.Add(action.ClientId);
                    round.Mutations.Add(action.MutationId);
                    foreach (string group in action.SyncGroups)
                    {
                        round.GroupIds.Add(head);
                        round.GroupNames.Add(group);
                    }
                }
                if (transaction.Actions.Count > 0)
                {
                    foreach (string user in transaction.GroupChangeUsers)
                    {
                        round.ChangeIds.Add(first);
                        round.ChangeUsers.Add(user);
                    }
                }
            }
            if (transaction.BatchKey is not null || head >= first)
            {
                round.Logged.Add(new LoggedTransaction(transaction.CommitLsn, transaction.Xid, first, head, transaction.BatchKey, transaction.CommittedAt));
            }
        }
        round.Head = head;
        return round;
    }

    private static void Add(NpgsqlBatch batch, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.Add(PgReads.Parameter(name, value));
        }
        batch.BatchCommands.Add(command);
    }

    /// <summary>Parses what <see cref="SequencedRound.Payload"/> wrote.</summary>
    public static bool TryParsePayload(string payload, out SequencerNotice notice)
    {
        notice = default;
        string[] parts = payload.Split(':');
        if (parts.Length < 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long head)
            || !NpgsqlLogSequenceNumber.TryParse(parts[1], out NpgsqlLogSequenceNumber lsn))
        {
            return false;
        }
        var keys = new List<(string Key, long Last)>();
        bool truncated = false;
        for (int i = 2; i < parts.Length; i++)
        {
            if (parts[i] == RoundTruncated)
            {
                truncated = true;
                continue;
            }
            foreach (string entry in parts[i].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = entry.LastIndexOf('=');
                if (equals <= 0 || !long.TryParse(entry.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long last))
                {
                    return false;
                }
                keys.Add((entry[..equals], last));
            }
        }
        notice = new SequencerNotice(head, lsn, keys, truncated);
        return true;
    }

    internal sealed record LoggedTransaction(NpgsqlLogSequenceNumber CommitLsn, uint Xid, long First, long Last, string? BatchKey, DateTime CommittedAt);

    /// <summary>What one round writes, in the column arrays it sends.</summary>
    internal sealed class SequencedRound
    {
        public long Head { get; set; }
        public long? Horizon { get; set; }
        public List<long> Ids { get; } = [];
        public List<string> Actions { get; } = [];
        public List<string> Models { get; } = [];
        public List<string> ModelIds { get; } = [];
        public List<string?> Data { get; } = [];
        public List<string?> Clients { get; } = [];
        public List<long?> Mutations { get; } = [];
        public List<long> GroupIds { get; } = [];
        public List<string> GroupNames { get; } = [];
        public List<long> ChangeIds { get; } = [];
        public List<string> ChangeUsers { get; } = [];
        public List<LoggedTransaction> Logged { get; } = [];

        /// <summary><c>head:lsn[:key=last,…][:+]</c>; keys that do not fit are left to the nodes to read.</summary>
        public string Payload(NpgsqlLogSequenceNumber lsn)
        {
            var payload = new StringBuilder();
            payload.Append(Head.ToString(CultureInfo.InvariantCulture)).Append(':').Append(lsn.ToString());
            bool first = true;
            foreach (LoggedTransaction logged in Logged)
            {
                if (logged.BatchKey is not { } key)
                {
                    continue;
                }
                string entry = key + "=" + logged.Last.ToString(CultureInfo.InvariantCulture);
                if (payload.Length + entry.Length + 4 > MaxPayload)
                {
                    payload.Append(':').Append(RoundTruncated);
                    break;
                }
                payload.Append(first ? ':' : ',').Append(entry);
                first = false;
            }
            return payload.ToString();
        }
    }
}

/// <summary>A round as the NOTIFY tells it: the head, the WAL position the log reaches, the write batches it
/// sequenced (each with the head right after its own actions), and whether some did not fit.</summary>
internal readonly record struct SequencerNotice(long Head, NpgsqlLogSequenceNumber Lsn, IReadOnlyList<(string Key, long Last)> Batches, bool Truncated);
