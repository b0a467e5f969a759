using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// The statements of a write transaction that nothing has to wait for (writes, savepoints), held back and sent in one
/// round trip with the transaction's next read or with its commit. Every writer holds the head lock until it commits,
/// so each round trip saved is time every other writer of every node no longer waits.
/// </summary>
/// <remarks>
/// A statement that fails is reported by the flush that sends it. The pipeline treats any failure of the store as the
/// batch's failure (nothing of it commits, and the pushes are retried one by one), so reporting it later changes
/// nothing about what is committed. A savepoint still waiting here when it is released or rolled back is never sent:
/// a release just drops it, and a rollback drops it with every statement queued after it.
/// </remarks>
internal sealed partial class PgPendingWrites
{
    private const string SavepointName = "m";
    private static readonly ConcurrentDictionary<string, Statement[]> Split = new();

    private readonly List<NpgsqlBatchCommand> _commands = [];
    // The SAVEPOINT command of each open savepoint, innermost on top; null once it has been sent.
    private readonly List<NpgsqlBatchCommand?> _savepoints = [];

    public void Add(string sql, params (string Name, object? Value)[] parameters)
    {
        foreach (Statement statement in Split.GetOrAdd(sql, Parse))
        {
            var command = new NpgsqlBatchCommand(statement.Text);
            foreach ((string name, object? value) in parameters)
            {
                if (statement.Parameters.Contains(name))
                {
                    command.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }
            }
            _commands.Add(command);
        }
    }

    public void Savepoint()
    {
        var command = new NpgsqlBatchCommand("SAVEPOINT " + SavepointName);
        _commands.Add(command);
        _savepoints.Add(command);
    }

    public void ReleaseSavepoint()
    {
        if (PopSavepoint() is { } unsent)
        {
            // Its statements simply belong to the enclosing scope now.
            _commands.Remove(unsent);
        }
        else
        {
            _commands.Add(new NpgsqlBatchCommand("RELEASE SAVEPOINT " + SavepointName));
        }
    }

    public void RollbackToSavepoint()
    {
        if (PopSavepoint() is { } unsent)
        {
            int at = _commands.IndexOf(unsent);
            _commands.RemoveRange(at, _commands.Count - at);
        }
        else
        {
            _commands.Add(new NpgsqlBatchCommand("ROLLBACK TO SAVEPOINT " + SavepointName));
        }
    }

    /// <summary>Sends everything waiting, in order, in one round trip.</summary>
    public async ValueTask FlushAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch? batch = Take(connection);
        if (batch is not null)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Everything waiting, in order, as a batch to send (null when nothing waits); a read may be appended to
    /// it so that it goes out in the same round trip.</summary>
    public NpgsqlBatch? Take(NpgsqlConnection connection)
    {
        if (_commands.Count == 0)
        {
            return null;
        }
        var batch = new NpgsqlBatch(connection);
        foreach (NpgsqlBatchCommand command in _commands)
        {
            batch.BatchCommands.Add(command);
        }
        _commands.Clear();
        // Sent (or, if sending fails, the transaction is lost anyway): later releases and rollbacks go to the server.
        for (int i = 0; i < _savepoints.Count; i++)
        {
            _savepoints[i] = null;
        }
        return batch;
    }

    private NpgsqlBatchCommand? PopSavepoint()
    {
        NpgsqlBatchCommand? last = _savepoints[^1];
        _savepoints.RemoveAt(_savepoints.Count - 1);
        return last;
    }

    /// <summary>A batch command holds one statement: the store's multi-statement SQL is split at "; " (none of its
    /// literals contains one), and each part gets only the parameters it names.</summary>
    private static Statement[] Parse(string sql)
        => [.. sql.Split("; ").Select(text => new Statement(text, [.. ParameterName().Matches(text).Select(m => m.Groups[1].Value)]))];

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex ParameterName();

    private sealed record Statement(string Text, HashSet<string> Parameters);
}
