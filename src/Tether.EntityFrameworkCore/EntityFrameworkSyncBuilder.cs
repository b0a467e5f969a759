using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Internal;
using Tether.Mutators;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;

namespace Tether.EntityFrameworkCore;

/// <summary>
/// Says which entities of <typeparamref name="TDb"/> are synced, and how Tether's own tables in the same database are
/// kept. Given to the callback of <see cref="TetherEntityFrameworkBuilderExtensions.UseEntityFramework{TDb}"/>.
/// </summary>
/// <typeparam name="TDb">The app's <c>DbContext</c>, registered with <c>AddDbContext</c>.</typeparam>
public sealed class EntityFrameworkSyncBuilder<TDb> where TDb : DbContext
{
    private readonly List<ModelDefinition> _models = [];

    internal EntityFrameworkSyncBuilder()
    {
    }

    internal IReadOnlyList<ModelDefinition> Models => _models;

    internal bool CapturesSaveChanges { get; private set; } = true;

    internal TimeSpan TurnTimeout { get; private set; } = TimeSpan.FromSeconds(30);

    internal Action<SqliteStoreOptions>? ConfigureSqlite { get; private set; }

    internal Action<PostgreSqlStoreOptions>? ConfigurePostgreSql { get; private set; }

    /// <summary>
    /// Syncs the entity <typeparamref name="T"/> as <paramref name="model"/>: its rows are the model's records, read
    /// from and written to the app's table. The record id is the entity's key (one column: text, Guid, int or long);
    /// the JSON clients receive is the model's contract (<see cref="SyncModel{T}.Json"/>) without the ignored
    /// members; the record's sync groups are the ones the model's rules give its row, and bootstrap filters on those
    /// columns in the database. A mutator's insert or update of such a record is shaped by the entity: a field the
    /// entity does not have, or a value of the wrong type, is refused (<c>invalid_args</c>), and the sync groups the
    /// mutator passes are ignored in favour of the rules. The mapping is checked against <typeparamref name="TDb"/>'s
    /// model at startup, which fails with one line per problem.
    /// </summary>
    public EntityFrameworkSyncBuilder<TDb> Model<T>(SyncModel<T> model, Action<SyncModelMapping<T>>? map = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(model);
        var mapping = new SyncModelMapping<T>();
        map?.Invoke(mapping);
        _models.Add(new ModelDefinition<T>(model, mapping.Ignored, mapping.GroupOwners));
        return this;
    }

    /// <summary>
    /// Says whether, on SQLite, a <c>SaveChanges</c> of <typeparamref name="TDb"/> made outside Tether's mutators (a
    /// controller, an endpoint, a background job) appends the sync actions of the synced rows it inserts, updates and
    /// deletes, in its own transaction (on by default). Turned off, only mutators write synced rows, and a row changed
    /// otherwise reaches clients only when they bootstrap again. Writes EF Core does not see (<c>ExecuteUpdate</c>,
    /// <c>ExecuteDelete</c>, raw SQL) are not captured on SQLite. On PostgreSQL this setting changes nothing: Tether
    /// reads every committed change to the synced tables from the write-ahead log, whoever wrote it (SaveChanges,
    /// <c>ExecuteUpdate</c>, raw SQL, <c>psql</c>, another service).
    /// </summary>
    /// <param name="capture">False to leave the app's SaveChanges alone.</param>
    /// <param name="turnTimeout">How long an app transaction on SQLite waits for its turn to write before it fails
    /// with a <see cref="TimeoutException"/> (SQLite has one writer: Tether's and the app's transactions take turns);
    /// 30 seconds when not given.</param>
    public EntityFrameworkSyncBuilder<TDb> CaptureSaveChanges(bool capture = true, TimeSpan? turnTimeout = null)
    {
        if (turnTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(turnTimeout));
            TurnTimeout = timeout;
        }
        CapturesSaveChanges = capture;
        return this;
    }

    /// <summary>Changes the settings of Tether's own tables when the app's database is SQLite (synchronous mode,
    /// busy timeout). The file is always the one <typeparamref name="TDb"/> connects to, whatever
    /// <see cref="SqliteStoreOptions.Path"/> is set to here.</summary>
    public EntityFrameworkSyncBuilder<TDb> Sqlite(Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ConfigureSqlite += configure;
        return this;
    }

    /// <summary>Changes the settings of Tether's own tables when the app's database is PostgreSQL (lock timeout,
    /// the commit listener's reconnection delays). The database is always the one <typeparamref name="TDb"/>
    /// connects to, whatever <see cref="PostgreSqlStoreOptions.ConnectionString"/> is set to here, and the mapped
    /// models' tables are added to <see cref="PostgreSqlStoreOptions.SyncedTables"/>.</summary>
    public EntityFrameworkSyncBuilder<TDb> PostgreSql(Action<PostgreSqlStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ConfigurePostgreSql += configure;
        return this;
    }
}
