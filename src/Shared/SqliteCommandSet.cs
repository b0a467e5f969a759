using Microsoft.Data.Sqlite;

namespace Tether.Sqlite;

/// <summary>
/// A store's statements, created once on one connection and reused for its life: a write binds values to the same
/// commands instead of compiling SQL each time (source shared by the server's and the client's SQLite stores).
/// </summary>
internal abstract class SqliteCommandSet(SqliteConnection connection, bool prepare) : IDisposable
{
    private readonly List<SqliteCommand> _all = [];

    protected SqliteCommand Create(string sql, params string[] parameterNames)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }
        _all.Add(command);
        if (prepare)
        {
            command.Prepare();
        }
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
        _all.Clear();
    }
}
