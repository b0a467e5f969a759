using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// The statements of one commit, sent in one round trip: each round trip saved shortens the transaction, and with it
/// the time in which a concurrent writer can conflict with it.
/// </summary>
internal sealed partial class PgStatements
{
    private static readonly ConcurrentDictionary<string, Statement[]> Split = new();

    private readonly List<NpgsqlBatchCommand> _commands = [];

    public void Add(string sql, params (string Name, object? Value)[] parameters)
    {
        foreach (Statement statement in Split.GetOrAdd(sql, Parse))
        {
            var command = new NpgsqlBatchCommand(statement.Text);
            foreach ((string name, object? value) in parameters)
            {
                if (statement.Parameters.Contains(name))
                {
                    command.Parameters.Add(PgReads.Parameter(name, value));
                }
            }
            _commands.Add(command);
        }
    }

    /// <summary>Adds a statement made elsewhere, with its parameters.</summary>
    public void Add(NpgsqlBatchCommand command) => _commands.Add(command);

    /// <summary>Sends every statement, in order, in one round trip.</summary>
    public async ValueTask ExecuteAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (_commands.Count == 0)
        {
            return;
        }
        await using NpgsqlBatch batch = Take(connection);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends every statement, in order, in one round trip, and hands the results to <paramref name="read"/>
    /// from the first result on; every statement runs, and the first failure is thrown, whatever it reads.</summary>
    public async ValueTask ExecuteAsync(NpgsqlConnection connection, Func<NpgsqlDataReader, CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = Take(connection);
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await read(reader, cancellationToken).ConfigureAwait(false);
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    private NpgsqlBatch Take(NpgsqlConnection connection)
    {
        var batch = new NpgsqlBatch(connection);
        foreach (NpgsqlBatchCommand command in _commands)
        {
            batch.BatchCommands.Add(command);
        }
        _commands.Clear();
        return batch;
    }

    /// <summary>A batch command holds one statement: the store's multi-statement SQL is split at "; " (none of its
    /// literals contains one), and each part gets only the parameters it names.</summary>
    private static Statement[] Parse(string sql)
        => [.. sql.Split("; ").Select(text => new Statement(text, [.. ParameterName().Matches(text).Select(m => m.Groups[1].Value)]))];

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex ParameterName();

    private sealed record Statement(string Text, HashSet<string> Parameters);
}
