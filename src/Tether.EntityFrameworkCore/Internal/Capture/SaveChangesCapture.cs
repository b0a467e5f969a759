using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>
/// On SQLite, turns every SaveChanges of the app's DbContext that writes synced entities into sync actions appended in
/// the same database transaction. On PostgreSQL it does nothing: the sequencer reads every writer's changes to the
/// synced tables from the write-ahead log, the app's included, and appending them here too would tell each twice.
/// The order of one transaction:
/// <list type="number">
/// <item>before it begins, this process's turn to write (SQLite has one writer, so app transactions queue with
/// Tether's own instead of spinning on the file lock);</item>
/// <item>at its first synced SaveChanges, the head lock (no other writer of the log commits until this transaction
/// ends) and the rows as readers saw them before: the ones it updates or deletes, and the ones the database deletes
/// or changes with them (<see cref="Cascades"/>);</item>
/// <item>once each SaveChanges wrote them, its inserts (their keys may come from the database);</item>
/// <item>as it commits, the rows as it leaves them, the actions between the two states, appended;</item>
/// <item>after it ends, the turn back, and this node's tailer woken.</item>
/// </list>
/// A SaveChanges outside a transaction gets one (EF's own, made unconditional), so a single-statement save is atomic
/// with its actions too; an execution strategy that retries it begins another, which is prepared again. A
/// rolled-back transaction takes its actions with it. EF Core raises no event when a transaction is disposed without
/// commit or rollback, or committed on its ADO.NET object: closing, opening or disposing the connection ends what is
/// left, and so does the next transaction on it. A SaveChanges of synced entities in a transaction EF Core did not
/// begin (<c>UseTransaction</c>, <c>TransactionScope</c>) is refused, since its end may never be seen.
/// </summary>
internal sealed partial class SaveChangesCapture : ISaveChangesInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor
{
    private readonly ICapturedModels _models;
    private readonly ICaptureStore _store;
    private readonly ITetherCommitSignal? _commits;
    private readonly TimeSpan _turnTimeout;
    private readonly ILogger<SaveChangesCapture> _logger;
    private readonly Cascades _cascades;

    // The transaction of each of the app's connections, from before it begins until it ends.
    private readonly ConditionalWeakTable<DbConnection, CaptureState> _states = [];

    // A finished transaction no longer names its connection.
    private readonly ConditionalWeakTable<DbTransaction, DbConnection> _connections = [];

    // The contexts in a SaveChanges of synced rows that runs in EF Core's own transaction, with the behavior to give back.
    private readonly ConditionalWeakTable<DbContext, StrongBox<AutoTransactionBehavior>> _saving = [];

    public SaveChangesCapture(ICapturedModels models, ICaptureStore store, ITetherCommitSignal? commits, TimeSpan turnTimeout, ILogger<SaveChangesCapture> logger)
    {
        _models = models;
        _store = store;
        _commits = commits;
        _turnTimeout = turnTimeout;
        _logger = logger;
        _cascades = new Cascades(models.IsSynced);
    }

    // SaveChanges.

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await SavingAsync(eventData.Context, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Wait(SavingAsync(eventData.Context, CancellationToken.None));
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default) =>
        SaveFailedAsync(eventData.Context);

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Wait(SaveFailedAsync(eventData.Context));

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default) =>
        SaveFailedAsync(eventData.Context);

    public void SaveChangesCanceled(DbContextEventData eventData) => Wait(SaveFailedAsync(eventData.Context));

    // Transactions.

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await EnterAsync(connection, eventData.Context, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Wait(EnterAsync(connection, eventData.Context, CancellationToken.None));
        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await StartedAsync(connection, eventData.Context, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        Wait(StartedAsync(connection, eventData.Context, result, CancellationToken.None));
        return result;
    }

    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        await CommittingAsync(transaction, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Wait(CommittingAsync(transaction, CancellationToken.None));
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(transaction, committed: true);

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        Wait(EndAsync(transaction, committed: true));

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(transaction, committed: false);

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        Wait(EndAsync(transaction, committed: false));

    // A savepoint statement that fails is reported as a failed transaction too, but the transaction goes on.

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Ends(eventData) ? EndAsync(transaction, committed: false) : Task.CompletedTask;

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData)
    {
        if (Ends(eventData))
        {
            Wait(EndAsync(transaction, committed: false));
        }
    }

    // A connection that closes, opens or is disposed has no transaction left: EF Core raises no event for a transaction
    // disposed without commit or rollback, nor for a connection closed as its context is disposed or pooled again.

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData) =>
        EndAsync(connection, committed: false);

    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) =>
        Wait(EndAsync(connection, committed: false));

    public Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(connection, committed: false);

    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
        Wait(EndAsync(connection, committed: false));

    public async ValueTask<InterceptionResult> ConnectionDisposingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        await EndAsync(connection, committed: false).ConfigureAwait(false);
        return result;
    }

    public InterceptionResult ConnectionDisposing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Wait(EndAsync(connection, committed: false));
        return result;
    }

    /// <summary>Finds the synced rows a SaveChanges writes; prepares them at once in the app's transaction, or has EF
    /// Core begin its own, which <see cref="StartedAsync"/> prepares.</summary>
    private async Task SavingAsync(DbContext? context, CancellationToken cancellationToken)
    {
        if (context is null || _models.IsTetherOwned(context) || AppProviders.IsPostgreSql(context.Database.GetDbConnection()))
        {
            return;
        }
        if (context.ChangeTracker.AutoDetectChangesEnabled)
        {
            context.ChangeTracker.DetectChanges();
        }
        List<EntityEntry>? entries = Changed(context);
        if (entries is null)
        {
            return;
        }
        if (System.Transactions.Transaction.Current is not null)
        {
            throw new NotSupportedException(
                "Tether cannot capture a SaveChanges of synced entities inside a TransactionScope: use DbContext.Database.BeginTransaction instead.");
        }
        DbConnection connection = context.Database.GetDbConnection();
        if (context.Database.CurrentTransaction is { } open)
        {
            DbTransaction transaction = open.GetDbTransaction();
            if (!_states.TryGetValue(connection, out CaptureState? state) || !ReferenceEquals(state.Transaction, transaction))
            {
                throw new NotSupportedException(
                    "Tether cannot capture a SaveChanges of synced entities in a transaction EF Core did not begin (UseTransaction): " +
                    "its commit may never reach EF Core. Use DbContext.Database.BeginTransaction instead.");
            }
            if (!_store.IsInitialized)
            {
                // Tether's tables are made on a connection of their own, which this transaction would keep waiting
                // (SQLite has one writer): they are made as a transaction begins, once the app has tables.
                throw new InvalidOperationException(
                    "A transaction that began while the database had no table saves synced entities: Tether makes its tables as a transaction " +
                    "begins once the app's tables exist, so begin this one after the app has created its tables.");
            }
            await PrepareAsync(state, connection, transaction, entries, inAppTransaction: true, cancellationToken).ConfigureAwait(false);
            return;
        }
        // An app that seeds synced rows at startup gets there before Tether's initializer; its rows must reach the log.
        if (!_store.IsInitialized)
        {
            await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        // EF skips its transaction for a single statement; the actions need one to commit with.
        _saving.AddOrUpdate(context, new StrongBox<AutoTransactionBehavior>(_saving.TryGetValue(context, out StrongBox<AutoTransactionBehavior>? kept)
            ? kept.Value
            : context.Database.AutoTransactionBehavior));
        context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
    }

    private void Saved(DbContext? context)
    {
        if (context is null || _models.IsTetherOwned(context))
        {
            return;
        }
        Restore(context);
        // In the app's transaction, the rows this SaveChanges inserted are now there (with their database keys).
        if (StateOf(context) is { } state)
        {
            state.NoteInserted();
        }
    }

    private async Task SaveFailedAsync(DbContext? context)
    {
        if (context is null || _models.IsTetherOwned(context))
        {
            return;
        }
        Restore(context);
        if (context.Database.CurrentTransaction is null)
        {
            // A failed SaveChanges that ran in EF's own transaction has ended it.
            await EndAsync(context.Database.GetDbConnection(), committed: false).ConfigureAwait(false);
        }
        else if (StateOf(context) is { } state)
        {
            // In the app's transaction, EF rolled this SaveChanges back to its savepoint: its inserts are not there.
            state.Inserted.Clear();
        }
    }

    private void Restore(DbContext context)
    {
        if (_saving.TryGetValue(context, out StrongBox<AutoTransactionBehavior>? behavior))
        {
            _saving.Remove(context);
            context.Database.AutoTransactionBehavior = behavior.Value;
        }
    }

    /// <summary>Takes the turn to write before a transaction of the app begins. Tether's tables are made first if they
    /// are not ready yet and the app's are (at startup, a transaction the app or EF Core's seeding begins would
    /// otherwise hold the database they are made in); while the database has no table at all, the app is creating
    /// its own (<c>EnsureCreated</c> creates them only in a database that has none) and no Tether writer runs here to
    /// take turns with.</summary>
    private async Task EnterAsync(DbConnection connection, DbContext? context, CancellationToken cancellationToken)
    {
        if ((context is not null && _models.IsTetherOwned(context)) || AppProviders.IsPostgreSql(connection))
        {
            return;
        }
        // A connection has one transaction at a time: whatever is left belongs to one that ended unseen.
        await EndAsync(connection, committed: false).ConfigureAwait(false);
        if (!_store.IsInitialized && context?.GetService<IRelationalDatabaseCreator>() is { } creator
            && await creator.HasTablesAsync(cancellationToken).ConfigureAwait(false))
        {
            await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        var state = new CaptureState();
        if (_store.IsInitialized)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_turnTimeout);
            try
            {
                state.Turn = await _store.Appender.EnterAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"A transaction of {context?.GetType().Name ?? "the app's DbContext"} waited {_turnTimeout.TotalSeconds:0.#} s for its turn to write: " +
                    "is another transaction of it left open (begun and neither committed nor rolled back)?");
            }
        }
        _states.AddOrUpdate(connection, state);
    }

    /// <summary>Notes the transaction EF Core began; when it is the one of a SaveChanges (a retry begins another),
    /// prepares that SaveChanges' rows in it.</summary>
    private async Task StartedAsync(DbConnection connection, DbContext? context, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (!_states.TryGetValue(connection, out CaptureState? state))
        {
            return;
        }
        state.Transaction = transaction;
        _connections.AddOrUpdate(transaction, connection);
        if (context is null || !_saving.TryGetValue(context, out _) || Changed(context) is not { } entries)
        {
            return;
        }
        try
        {
            await PrepareAsync(state, connection, transaction, entries, inAppTransaction: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // EF Core has not taken the transaction yet, so nothing else would end it: on a connection kept open it
            // would refuse every later transaction, and on SQLite hold the file's write lock.
            await EndAsync(connection, committed: false).ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Locks the head (once per transaction) and reads the rows the entries will change as readers see them
    /// now, with those the database will change as it deletes; inserts are noted once written, since their key may
    /// come from the database. In the app's transaction, an insert whose key is known is read too: the database may
    /// refuse it (the key is taken) while the transaction goes on.</summary>
    private async Task PrepareAsync(CaptureState state, DbConnection connection, DbTransaction transaction, List<EntityEntry> entries, bool inAppTransaction, CancellationToken cancellationToken)
    {
        state.Head ??= await _store.Appender.LockHeadAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var reads = new Dictionary<ICapturedModel, HashSet<string>>();
        List<EntityEntry>? deleted = null;
        foreach (EntityEntry entry in entries)
        {
            if (entry.State == EntityState.Deleted && _cascades.ReachSynced(entry.Metadata))
            {
                (deleted ??= []).Add(entry);
            }
            if (_models.Find(entry.Metadata.ClrType) is not { } model)
            {
                continue;
            }
            if (entry.State == EntityState.Added && (!inAppTransaction || HasTemporaryKey(entry)))
            {
                state.Inserted.Add((model, entry));
                continue;
            }
            Read(state, reads, model, entry);
        }
        if (reads.Count == 0 && deleted is null)
        {
            return;
        }
        using OwnedContext owned = _models.Open(connection, transaction);
        if (deleted is not null)
        {
            foreach (EntityEntry affected in await _cascades.AffectedAsync(owned.Db, deleted, cancellationToken).ConfigureAwait(false))
            {
                if (_models.Find(affected.Metadata.ClrType) is { } model)
                {
                    Read(state, reads, model, affected);
                }
            }
        }
        foreach ((ICapturedModel model, HashSet<string> ids) in reads)
        {
            Dictionary<string, RowImage> before = await model.ReadRowsAsync(owned.Db, ids, cancellationToken).ConfigureAwait(false);
            foreach (string id in ids)
            {
                state.Touch(model, id, before.GetValueOrDefault(id));
            }
        }
    }

    /// <summary>Reads the rows as the transaction leaves them and appends the actions between the two states.</summary>
    private async Task CommittingAsync(DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (transaction.Connection is not { } connection
            || !_states.TryGetValue(connection, out CaptureState? state)
            || !ReferenceEquals(state.Transaction, transaction)
            || state.Head is not long head)
        {
            return;
        }
        // The inserts of EF Core's own transaction, written by now.
        state.NoteInserted();
        if (state.Touched.Count == 0)
        {
            return;
        }
        var after = new Dictionary<ICapturedModel, Dictionary<string, RowImage>>();
        using (OwnedContext owned = _models.Open(connection, transaction))
        {
            foreach (IGrouping<ICapturedModel, string> ids in state.Touched.GroupBy(t => t.Model, t => t.Id))
            {
                after[ids.Key] = await ids.Key.ReadRowsAsync(owned.Db, [.. ids], cancellationToken).ConfigureAwait(false);
            }
        }
        var actions = new List<LogEntry>();
        var owners = new List<string>();
        foreach ((ICapturedModel model, string id, RowImage? before) in state.Touched)
        {
            RowImage? now = after[model].GetValueOrDefault(id);
            int count = actions.Count;
            CaptureDiff.Append(actions, head, model.Name, id, before, now);
            if (actions.Count > count)
            {
                AddOwners(owners, before);
                AddOwners(owners, now);
            }
        }
        if (actions.Count == 0)
        {
            return;
        }
        // A membership's users re-resolve their groups before any action of this transaction reaches them.
        GroupChange[] changes = [.. owners.Select(user => new GroupChange(head + 1, user))];
        await _store.Appender.AppendAsync(connection, transaction, new WriteBatch { Actions = actions, GroupChanges = changes }, cancellationToken).ConfigureAwait(false);
        state.Appended = true;
        LogAppended(actions.Count, head + 1);
    }

    private Task EndAsync(DbTransaction transaction, bool committed)
    {
        DbConnection? connection = transaction.Connection ?? (_connections.TryGetValue(transaction, out DbConnection? known) ? known : null);
        return connection is not null && _states.TryGetValue(connection, out CaptureState? state) && ReferenceEquals(state.Transaction, transaction)
            ? EndAsync(connection, committed)
            : Task.CompletedTask;
    }

    private async Task EndAsync(DbConnection connection, bool committed)
    {
        if (!_states.TryGetValue(connection, out CaptureState? state))
        {
            return;
        }
        _states.Remove(connection);
        if (state.Turn is { } turn)
        {
            await turn.DisposeAsync().ConfigureAwait(false);
        }
        if (committed && state.Appended)
        {
            _commits?.NotifyCommitted();
        }
    }

    /// <summary>The capture of the app's transaction open on <paramref name="context"/>, or null.</summary>
    private CaptureState? StateOf(DbContext context)
        => context.Database.CurrentTransaction is { } open
            && _states.TryGetValue(context.Database.GetDbConnection(), out CaptureState? state)
            && ReferenceEquals(state.Transaction, open.GetDbTransaction())
                ? state
                : null;

    /// <summary>The entries a SaveChanges writes that change synced rows: the synced ones, and the deletes the
    /// database cascades to synced rows. Null when there is none.</summary>
    private List<EntityEntry>? Changed(DbContext context)
    {
        List<EntityEntry>? changed = null;
        foreach (EntityEntry entry in context.ChangeTracker.Entries())
        {
            if ((entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && _models.IsSynced(entry.Metadata.ClrType))
                || (entry.State == EntityState.Deleted && _cascades.ReachSynced(entry.Metadata)))
            {
                (changed ??= []).Add(entry);
            }
        }
        return changed;
    }

    private static void Read(CaptureState state, Dictionary<ICapturedModel, HashSet<string>> reads, ICapturedModel model, EntityEntry entry)
    {
        string id = model.IdOf(entry);
        if (!state.HasSeen(model, id))
        {
            if (!reads.TryGetValue(model, out HashSet<string>? ids))
            {
                reads[model] = ids = new HashSet<string>(StringComparer.Ordinal);
            }
            ids.Add(id);
        }
    }

    private static bool HasTemporaryKey(EntityEntry entry)
        => entry.Property(entry.Metadata.FindPrimaryKey()!.Properties[0]).IsTemporary;

    private static bool Ends(TransactionErrorEventData eventData) => eventData.Action is "Commit" or "Rollback";

    private static void AddOwners(List<string> owners, RowImage? row)
    {
        foreach (string user in row?.GroupOwners ?? [])
        {
            if (!owners.Contains(user, StringComparer.Ordinal))
            {
                owners.Add(user);
            }
        }
    }

    // The synchronous EF paths run the same steps; ASP.NET Core has no synchronization context to deadlock on.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    [LoggerMessage(1, LogLevel.Debug, "Captured SaveChanges: {Count} sync actions from syncId {First}.")]
    private partial void LogAppended(int count, long first);
}
