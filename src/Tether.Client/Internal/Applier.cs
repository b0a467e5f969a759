using System.Text;
using System.Text.Json;
using Tether.Client.Internal.Data;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>
/// Every change of the client's data, each under the state lock: loading the store, bootstraps, sync frames, and a
/// mutation's whole path to confirmation, which reads top to bottom in the second half of this file:
/// <see cref="RunLocallyAsync"/> shows it and queues it durably; the push loop sends it;
/// <see cref="RecordAnswersAsync"/> takes the server's answer (refused: it leaves the view and the app is told;
/// applied: it waits for its syncId); <see cref="ApplyFrameAsync"/> confirms it once the confirmed data includes it.
/// After each change of the confirmed data the pending mutations are replayed on it (rebase).
/// Once an apply holds the lock its store writes stop only for disposal, never for a network change (which cancels
/// the sync attempt), so the store and the in-memory state never part.
/// </summary>
internal sealed class Applier(ClientState state, ClientEvents events, TetherClientOptions options, CancellationToken stopping)
{
    // After a lazy bootstrap at syncId F, live actions up to F for the records it brought are older than what it
    // brought: they are skipped. Per record, since two lazy bootstraps can be at different positions.
    private readonly Dictionary<(string Model, string Id), long> _lazySkipUpTo = [];

    private OptimisticView View => state.View;

    private ILocalStore Store => state.Store;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        LocalSnapshot snapshot = await Store.LoadAsync(cancellationToken);
        using ClientState.Scope held = await state.EnterAsync(cancellationToken);
        LocalMetadata metadata = snapshot.Metadata;
        IReadOnlyList<StoredRecord> records = snapshot.Records;
        IReadOnlyList<PendingMutation> pending = snapshot.Pending;
        if (metadata.UserId is not null && metadata.UserId != options.UserId)
        {
            // Another user's data and queue are never shown nor sent as this user: start over, with a new clientId
            // (the server binds a clientId to its user).
            metadata = new LocalMetadata();
            await Store.WriteAsync(new LocalWrite { ClearRecords = true, RemovePending = [.. pending.Select(p => p.Id)], Metadata = metadata }, cancellationToken);
            records = [];
            pending = [];
        }
        if (metadata.ClientId is null || metadata.UserId is null)
        {
            metadata = metadata with { ClientId = metadata.ClientId ?? "c-" + Guid.NewGuid().ToString("N"), UserId = options.UserId };
            await Store.WriteAsync(new LocalWrite { Metadata = metadata }, cancellationToken);
        }
        state.Metadata = metadata;
        OptimisticView.ConfirmedStaging staging = View.Stage(fromEmpty: true);
        foreach (StoredRecord record in records)
        {
            staging.Put(record.ModelName, record.Id, Encoding.UTF8.GetBytes(record.Data));
        }
        View.Commit(staging);
        View.UserSyncGroups = new HashSet<string>(metadata.SyncGroups, StringComparer.Ordinal);
        foreach (PendingMutation stored in pending)
        {
            state.Pending.Add(new PendingEntry(stored.Id, stored.Name, JsonElement.Parse(stored.Args), handle: null, DateTimeOffset.UtcNow));
        }
        state.PendingChanged();
        // Pending mutations are shown again after a restart, not just re-sent.
        await View.RebaseAsync(state.Pending);
    }

    /// <summary>Takes a bootstrap's rows as they arrive into the store (one bulk write) and into a staged copy of
    /// the data, and makes both current together once the stream ended complete. An eager bootstrap replaces all
    /// confirmed data, a lazy one adds the records of newly granted groups; pending mutations stay and are replayed
    /// on the result. The response is opened before the lock is taken, so the server's start costs the app nothing;
    /// mutations made while the rows stream in wait for them, and then run on the new data.</summary>
    public async Task ApplyBootstrapAsync(BootstrapStream download, bool eager, IProgress<long> progress, CancellationToken cancellationToken)
    {
        using ClientState.Scope held = await state.EnterAsync(cancellationToken);
        await using ILocalBulkWrite bulk = await Store.BeginBulkWriteAsync(clearRecords: eager, cancellationToken);
        OptimisticView.ConfirmedStaging staging = View.Stage(fromEmpty: eager);
        while (await download.ReadRowsAsync(cancellationToken) is { } rows)
        {
            var changes = new LocalRecordChange[rows.Count];
            for (int i = 0; i < rows.Count; i++)
            {
                BootstrapRow row = rows[i];
                changes[i] = new LocalRecordChange(row.ModelName, row.Id, Encoding.UTF8.GetString(row.Data));
                staging.Put(row.ModelName, row.Id, row.Data);
            }
            await bulk.AddAsync(changes, cancellationToken);
            progress.Report(download.RowCount);
        }
        LocalMetadata metadata = eager
            ? state.Metadata with
            {
                FirstSyncId = download.FirstSyncId,
                LastSyncId = download.FirstSyncId,
                SyncGroups = download.SyncGroups,
                SchemaVersion = options.SchemaVersion,
            }
            : state.Metadata with { SyncGroups = [.. state.Metadata.SyncGroups.Union(download.SyncGroups, StringComparer.Ordinal).Order(StringComparer.Ordinal)] };
        await bulk.CommitAsync(new LocalWrite { Metadata = metadata }, stopping);
        state.Metadata = metadata;
        View.Commit(staging);
        if (eager)
        {
            _lazySkipUpTo.Clear();
            View.UserSyncGroups = new HashSet<string>(download.SyncGroups, StringComparer.Ordinal);
            await ReleaseReachedAsync();
        }
        else if (download.FirstSyncId > metadata.LastSyncId)
        {
            foreach ((string model, HashSet<string> ids) in staging.Touched)
            {
                foreach (string id in ids)
                {
                    _lazySkipUpTo[(model, id)] = Math.Max(_lazySkipUpTo.GetValueOrDefault((model, id)), download.FirstSyncId);
                }
            }
        }
        await View.RebaseAsync(state.Pending);
    }

    public async Task SetUserGroupsAsync(IReadOnlySet<string> groups, CancellationToken cancellationToken)
    {
        using ClientState.Scope held = await state.EnterAsync(cancellationToken);
        View.UserSyncGroups = groups;
    }

    /// <summary>Applies the actions of (LastSyncId, <paramref name="lastSyncId"/>] in one store write, releases the
    /// pending mutations the data now includes, and rebases the rest. Frames at or below the position are ignored,
    /// so duplicated frames are harmless. A frame's <c>acks</c> are not used to release mutations: an ack says the
    /// server handled a mutation, not whether it applied or refused it, and the push answer (retried until it
    /// arrives) says which.</summary>
    public async Task ApplyFrameAsync(long lastSyncId, IReadOnlyList<SyncAction> actions, CancellationToken cancellationToken)
    {
        PendingEntry[] released;
        using (ClientState.Scope held = await state.EnterAsync(cancellationToken))
        {
            if (lastSyncId <= state.Metadata.LastSyncId)
            {
                return;
            }
            var changes = new List<LocalRecordChange>(actions.Count);
            foreach (SyncAction action in actions)
            {
                if (action.SyncId <= state.Metadata.LastSyncId || action.SyncId > lastSyncId
                    || _lazySkipUpTo.TryGetValue((action.ModelName, action.ModelId), out long skipUpTo) && action.SyncId <= skipUpTo)
                {
                    continue;
                }
                changes.Add(new LocalRecordChange(action.ModelName, action.ModelId, action.Action == SyncActionKinds.Delete ? null : action.Data?.GetRawText()));
            }
            released = [.. state.Pending.Where(p => p.ReleaseAt <= lastSyncId)];
            LocalMetadata metadata = state.Metadata with { LastSyncId = lastSyncId };
            options.FaultPoint?.Invoke("after-receive-before-apply");
            await Store.WriteAsync(new LocalWrite { Records = changes, RemovePending = [.. released.Select(p => p.Id)], Metadata = metadata }, stopping);
            state.Metadata = metadata;
            if (_lazySkipUpTo.Count > 0)
            {
                foreach (var passed in _lazySkipUpTo.Where(s => s.Value <= lastSyncId).Select(s => s.Key).ToArray())
                {
                    _lazySkipUpTo.Remove(passed);
                }
            }
            foreach (LocalRecordChange change in changes)
            {
                View.SetConfirmed(change.ModelName, change.Id, change.Data is null ? null : Encoding.UTF8.GetBytes(change.Data));
            }
            state.Forget(released);
            await View.RebaseAsync(state.Pending);
        }
        foreach (PendingEntry entry in released)
        {
            entry.Handle?.Confirm(entry.ReleaseAt!.Value);
        }
    }

    /// <summary>Runs a mutation on the view at once and queues it durably; a mutation the mutator refuses locally
    /// throws and is neither kept nor sent.</summary>
    public async Task<MutationHandle> RunLocallyAsync(string name, JsonElement args, CancellationToken cancellationToken)
    {
        using ClientState.Scope held = await state.EnterAsync(cancellationToken);
        ObjectDisposedException.ThrowIf(stopping.IsCancellationRequested, this);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Exception? refused = await View.TryRunAsync(name, args, now);
        if (refused is not null)
        {
            throw refused as MutationRejectedException ?? new MutationRejectedException(ErrorCodes.Internal, $"Mutator '{name}' failed locally: {refused.Message}");
        }
        long id = state.Metadata.NextMutationId;
        var handle = new MutationHandle(id);
        var entry = new PendingEntry(id, name, args.Clone(), handle, now);
        LocalMetadata metadata = state.Metadata with { NextMutationId = id + 1 };
        try
        {
            await Store.WriteAsync(new LocalWrite { AddPending = [entry.ToStored()], Metadata = metadata }, cancellationToken);
        }
        catch
        {
            // Not kept means not shown: take its effect off the view again.
            await View.RebaseAsync(state.Pending);
            throw;
        }
        state.Metadata = metadata;
        state.Pending.Add(entry);
        state.PendingChanged();
        options.FaultPoint?.Invoke("after-persist-before-send");
        return handle;
    }

    /// <summary>Records the server's answer to a push: applied and duplicate mutations wait for their data, refused
    /// ones leave at once (the app hears of them once the lock is released).</summary>
    public async Task RecordAnswersAsync(PushResult result, CancellationToken cancellationToken)
    {
        var rejected = new List<(PendingEntry Entry, ErrorBody Error)>();
        using (ClientState.Scope held = await state.EnterAsync(cancellationToken))
        {
            // A duplicate was applied before, at some syncId no later than the newest one this answer names.
            long newest = Math.Max(state.Metadata.LastSyncId, result.Results.Max(r => r.LastSyncId) ?? 0);
            foreach (MutationResult outcome in result.Results)
            {
                PendingEntry? entry = state.Pending.Find(p => p.Id == outcome.Id);
                if (entry is null)
                {
                    continue;
                }
                switch (outcome.Status)
                {
                    case MutationStatus.Applied:
                        entry.ReleaseAt ??= outcome.LastSyncId ?? newest;
                        break;
                    case MutationStatus.Duplicate:
                        entry.ReleaseAt ??= newest;
                        break;
                    default:
                        rejected.Add((entry, outcome.Error ?? new ErrorBody(ErrorCodes.Internal, "Rejected without a reason.")));
                        break;
                }
            }
            if (rejected.Count > 0)
            {
                await Store.WriteAsync(new LocalWrite { RemovePending = [.. rejected.Select(r => r.Entry.Id)] }, stopping);
                state.Forget(rejected.Select(r => r.Entry));
            }
            await ReleaseReachedAsync();
            await View.RebaseAsync(state.Pending);
        }
        foreach ((PendingEntry entry, ErrorBody error) in rejected)
        {
            // The event first: code awaiting the handle then finds the app already told.
            events.Raise(events.MutationRejected, new MutationRejectedEventArgs(entry.Id, entry.Name, error.Code, error.Message));
            entry.Handle?.Reject(new MutationRejectedException(error.Code, error.Message));
        }
    }

    /// <summary>Drops pending mutations whose data the confirmed state already includes (lock held).</summary>
    private async Task ReleaseReachedAsync()
    {
        PendingEntry[] reached = [.. state.Pending.Where(p => p.ReleaseAt <= state.Metadata.LastSyncId)];
        if (reached.Length == 0)
        {
            return;
        }
        await Store.WriteAsync(new LocalWrite { RemovePending = [.. reached.Select(p => p.Id)] }, stopping);
        state.Forget(reached);
        foreach (PendingEntry entry in reached)
        {
            entry.Handle?.Confirm(state.Metadata.LastSyncId);
        }
    }
}
