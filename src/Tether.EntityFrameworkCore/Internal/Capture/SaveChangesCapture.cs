using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>
/// Turns every SaveChanges of the app's DbContext that writes synced entities into sync actions appended in the same
/// database transaction. The order of one transaction:
/// <list type="number">
/// <item>before it begins, this process's turn to write (SQLite has one writer, so app transactions queue with
/// Tether's own instead of spinning on the file lock);</item>
/// <item>at its first synced SaveChanges, the head lock (no other writer of the log commits until this transaction
/// ends) and the rows as readers saw them before;</item>
/// <item>as it commits, the rows as it leaves them, the actions between the two states, appended;</item>
/// <item>after it ends, the turn back, and this node's tailer woken.</item>
/// </list>
/// A SaveChanges outside a transaction gets one (EF's own, made unconditional), so a single-statement save is atomic
/// with its actions too. A rolled-back transaction takes its actions with it.
/// </summary>
internal sealed partial class SaveChangesCapture(
    ICapturedModels models,
    Func<ICaptureStore> store,
    Func<ITetherCommitSignal?> commits,
    TimeSpan turnTimeout,
    ILogger<SaveChangesCapture> logger) : ISaveChangesInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor
{
    private readonly ConditionalWeakTable<DbConnection, CaptureState> _states = [];

    // A finished transaction no longer names its connection.
    private readonly ConditionalWeakTable<DbTransaction, DbConnection> _connections = [];

    // SaveChanges: find the synced entries; lock and read them now if a transaction is open, else when EF opens one.

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
        await CommittingAsync(transaction, eventData.Context, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Wait(CommittingAsync(transaction, eventData.Context, CancellationToken.None));
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(ConnectionOf(transaction), committed: true);

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        Wait(EndAsync(ConnectionOf(transaction), committed: true));

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(ConnectionOf(transaction), committed: false);

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        Wait(EndAsync(ConnectionOf(transaction), committed: false));

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        EndAsync(ConnectionOf(transaction), committed: false);

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) =>
        Wait(EndAsync(ConnectionOf(transaction), committed: false));

    // A transaction disposed without commit or rollback raises no transaction event; closing its connection ends it.

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData) =>
        EndAsync(connection, committed: false);

    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) =>
        Wait(EndAsync(connection, committed: false));

    private async Task SavingAsync(DbContext? context, CancellationToken cancellationToken)
    {
        if (context is null || models.IsTetherOwned(context))
        {
            return;
        }
        if (context.ChangeTracker.AutoDetectChangesEnabled)
        {
            context.ChangeTracker.DetectChanges();
        }
        List<EntityEntry>? synced = null;
        foreach (EntityEntry entry in context.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && models.Find(entry.Metadata.ClrType) is not null)
            {
                (synced ??= []).Add(entry);
            }
        }
        if (synced is null)
        {
            return;
        }
        if (System.Transactions.Transaction.Current is not null)
        {
            throw new NotSupportedException(
                "Tether cannot capture a SaveChanges of synced entities inside a TransactionScope: use DbContext.Database.BeginTransaction instead.");
        }
        // An app that seeds synced rows at startup gets there before Tether's initializer; its rows must reach the log.
        await store().InitializeAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = context.Database.GetDbConnection();
        if (context.Database.CurrentTransaction is { } open)
        {
            DbTransaction transaction = open.GetDbTransaction();
            _connections.AddOrUpdate(transaction, connection);
            await PrepareAsync(connection, transaction, synced, cancellationToken).ConfigureAwait(false);
            return;
        }
        // EF skips its transaction for a single statement; the actions need one to commit with.
        context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
        _states.GetOrCreateValue(connection).Waiting = synced;
    }

    private async Task StartedAsync(DbConnection connection, DbContext? context, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (context is null || models.IsTetherOwned(context) || !_states.TryGetValue(connection, out CaptureState? state) || state.Waiting is not { } waiting)
        {
            return;
        }
        state.Waiting = null;
        _connections.AddOrUpdate(transaction, connection);
        await PrepareAsync(connection, transaction, waiting, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Locks the head (once per transaction) and reads the rows the entries will change, as readers see them
    /// now; inserts are only noted, since their key may come from the database.</summary>
    private async Task PrepareAsync(DbConnection connection, DbTransaction transaction, List<EntityEntry> entries, CancellationToken cancellationToken)
    {
        CaptureState state = _states.GetOrCreateValue(connection);
        state.Head ??= await store().Appender.LockHeadAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        Dictionary<ICapturedModel, List<string>>? reads = null;
        foreach (EntityEntry entry in entries)
        {
            ICapturedModel model = models.Find(entry.Metadata.ClrType)!;
            if (entry.State == EntityState.Added)
            {
                state.Added.Add((model, entry.Entity));
                continue;
            }
            string id = model.IdOf(entry.Entity);
            if (!state.HasSeen(model, id))
            {
                reads ??= [];
                if (!reads.TryGetValue(model, out List<string>? ids))
                {
                    reads[model] = ids = [];
                }
                ids.Add(id);
            }
        }
        if (reads is null)
        {
            return;
        }
        await using DbContext owned = models.Open(connection, transaction);
        foreach ((ICapturedModel model, List<string> ids) in reads)
        {
            Dictionary<string, RowImage> before = await model.ReadRowsAsync(owned, ids, cancellationToken).ConfigureAwait(false);
            foreach (string id in ids)
            {
                state.Touch(model, id, before.GetValueOrDefault(id));
            }
        }
    }

    /// <summary>Reads the rows as the transaction leaves them and appends the actions between the two states.</summary>
    private async Task CommittingAsync(DbTransaction transaction, DbContext? context, CancellationToken cancellationToken)
    {
        DbConnection? connection = transaction.Connection;
        if (connection is null || (context is not null && models.IsTetherOwned(context)) || !_states.TryGetValue(connection, out CaptureState? state) || state.Head is not long head)
        {
            return;
        }
        foreach ((ICapturedModel model, object entity) in state.Added)
        {
            // An insert's row did not exist when the transaction began: a key taken then would have refused it.
            state.Touch(model, model.IdOf(entity), null);
        }
        state.Added.Clear();
        if (state.Touched.Count == 0)
        {
            return;
        }
        var after = new Dictionary<ICapturedModel, Dictionary<string, RowImage>>();
        await using (DbContext owned = models.Open(connection, transaction))
        {
            foreach (IGrouping<ICapturedModel, string> ids in state.Touched.GroupBy(t => t.Model, t => t.Id))
            {
                after[ids.Key] = await ids.Key.ReadRowsAsync(owned, [.. ids], cancellationToken).ConfigureAwait(false);
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
                AddOwner(owners, model, before);
                AddOwner(owners, model, now);
            }
        }
        if (actions.Count == 0)
        {
            return;
        }
        // A membership's users re-resolve their groups before any action of this transaction reaches them.
        GroupChange[] changes = [.. owners.Select(user => new GroupChange(head + 1, user))];
        await store().Appender.AppendAsync(connection, transaction, new WriteBatch { Actions = actions, GroupChanges = changes }, cancellationToken).ConfigureAwait(false);
        state.Appended = true;
        LogAppended(actions.Count, head + 1);
    }

    private DbConnection? ConnectionOf(DbTransaction transaction) =>
        transaction.Connection ?? (_connections.TryGetValue(transaction, out DbConnection? connection) ? connection : null);

    private static void AddOwner(List<string> owners, ICapturedModel model, RowImage? row)
    {
        if (row is not null && model.GroupsOwnerOf(row) is { } user && !owners.Contains(user, StringComparer.Ordinal))
        {
            owners.Add(user);
        }
    }

    private async Task EnterAsync(DbConnection connection, DbContext? context, CancellationToken cancellationToken)
    {
        // Before Tether's tables are ready no Tether writer runs here to take turns with (the app's own migrations,
        // which must not find Tether's tables in their way).
        if ((context is not null && models.IsTetherOwned(context)) || !store().IsInitialized)
        {
            return;
        }
        CaptureState state = _states.GetOrCreateValue(connection);
        if (state.Turn is not null)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(turnTimeout);
        try
        {
            state.Turn = await store().Appender.EnterAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _states.Remove(connection);
            throw new TimeoutException(
                $"A transaction of {context?.GetType().Name ?? "the app's DbContext"} waited {turnTimeout.TotalSeconds:0.#} s for its turn to write: " +
                "is another transaction of it left open (begun and neither committed nor rolled back)?");
        }
    }

    private async Task SaveFailedAsync(DbContext? context)
    {
        // A failed SaveChanges that ran in EF's own transaction has ended it; one in the app's transaction has not.
        if (context is null || models.IsTetherOwned(context) || context.Database.CurrentTransaction is not null)
        {
            return;
        }
        await EndAsync(context.Database.GetDbConnection(), committed: false).ConfigureAwait(false);
    }

    private async Task EndAsync(DbConnection? connection, bool committed)
    {
        if (connection is null || !_states.TryGetValue(connection, out CaptureState? state))
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
            commits()?.NotifyCommitted();
        }
    }

    // The synchronous EF paths run the same steps; ASP.NET Core has no synchronization context to deadlock on.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    [LoggerMessage(1, LogLevel.Debug, "Captured SaveChanges: {Count} sync actions from syncId {First}.")]
    private partial void LogAppended(int count, long first);
}
