using System.Text.Json;
using Tether.Client.Internal;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Client;

// Everything that changes the confirmed data: loading the store, bootstraps, sync frames, push answers.
// Once an apply holds the gate it finishes: its store writes stop only for disposal (_stop), never for a network
// change (which cancels the sync attempt), so the store and the in-memory state never part.
public sealed partial class TetherClient
{
    // After a lazy bootstrap at syncId F, live actions up to F for the records it brought are older than what it
    // brought: they are skipped. Per record, since two lazy bootstraps can be at different positions.
    private readonly Dictionary<(string Model, string Id), long> _lazySkipUpTo = [];

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        LocalSnapshot snapshot = await _store.LoadAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            LocalMetadata metadata = snapshot.Metadata;
            IReadOnlyList<StoredRecord> records = snapshot.Records;
            IReadOnlyList<PendingMutation> pending = snapshot.Pending;
            if (metadata.UserId is not null && metadata.UserId != _options.UserId)
            {
                // Another user's data and queue are never shown nor sent as this user: start over, with a new clientId
                // (the server binds a clientId to its user).
                metadata = new LocalMetadata();
                await _store.WriteAsync(new LocalWrite { ClearRecords = true, RemovePending = [.. pending.Select(p => p.Id)], Metadata = metadata }, cancellationToken);
                records = [];
                pending = [];
            }
            if (metadata.ClientId is null || metadata.UserId is null)
            {
                metadata = metadata with { ClientId = metadata.ClientId ?? "c-" + Guid.NewGuid().ToString("N"), UserId = _options.UserId };
                await _store.WriteAsync(new LocalWrite { Metadata = metadata }, cancellationToken);
            }
            _metadata = metadata;
            var touched = new HashSet<(string Model, string Id)>();
            _view.ApplyConfirmed(records.Select(r => new LocalRecordChange(r.ModelName, r.Id, r.Data)), clearFirst: false, touched);
            _view.UserSyncGroups = new HashSet<string>(metadata.SyncGroups, StringComparer.Ordinal);
            foreach (PendingMutation stored in pending)
            {
                _pending.Add(new PendingEntry(stored.Id, stored.Name, JsonElement.Parse(stored.Args), handle: null, DateTimeOffset.UtcNow));
            }
            PendingChanged();
            // Pending mutations are shown again after a restart, not just re-sent.
            await _view.RebaseAsync(_pending, touched);
            Publish(touched);
        }
        finally
        {
            ReleaseGate();
        }
    }

    /// <summary>Replaces all confirmed data with an eager bootstrap; pending mutations stay and are replayed on it.</summary>
    private async Task ApplyEagerBootstrapAsync(BootstrapDownload download, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            LocalMetadata metadata = _metadata with
            {
                FirstSyncId = download.FirstSyncId,
                LastSyncId = download.FirstSyncId,
                SyncGroups = download.SyncGroups,
                SchemaVersion = _options.SchemaVersion,
            };
            await _store.WriteAsync(new LocalWrite { ClearRecords = true, Records = download.Rows, Metadata = metadata }, _stop.Token);
            _metadata = metadata;
            _lazySkipUpTo.Clear();
            var touched = new HashSet<(string Model, string Id)>();
            _view.ApplyConfirmed(download.Rows, clearFirst: true, touched);
            _view.UserSyncGroups = new HashSet<string>(download.SyncGroups, StringComparer.Ordinal);
            await ReleaseReachedAsync(touched);
            await _view.RebaseAsync(_pending, touched);
            Publish(touched);
        }
        finally
        {
            ReleaseGate();
        }
    }

    /// <summary>Adds the records of newly granted groups, consistent at the lazy bootstrap's position.</summary>
    private async Task ApplyLazyBootstrapAsync(BootstrapDownload download, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            LocalMetadata metadata = _metadata with { SyncGroups = [.. _metadata.SyncGroups.Union(download.SyncGroups, StringComparer.Ordinal).Order(StringComparer.Ordinal)] };
            await _store.WriteAsync(new LocalWrite { Records = download.Rows, Metadata = metadata }, _stop.Token);
            _metadata = metadata;
            if (download.FirstSyncId > _metadata.LastSyncId)
            {
                foreach (LocalRecordChange row in download.Rows)
                {
                    _lazySkipUpTo[(row.ModelName, row.Id)] = Math.Max(_lazySkipUpTo.GetValueOrDefault((row.ModelName, row.Id)), download.FirstSyncId);
                }
            }
            var touched = new HashSet<(string Model, string Id)>();
            _view.ApplyConfirmed(download.Rows, clearFirst: false, touched);
            await _view.RebaseAsync(_pending, touched);
            Publish(touched);
        }
        finally
        {
            ReleaseGate();
        }
    }

    /// <summary>Applies the actions of (LastSyncId, <paramref name="lastSyncId"/>] in one store write, releases the
    /// pending mutations the data now includes, and rebases the rest. Frames at or below the position are ignored,
    /// so duplicated frames are harmless. A frame's <c>acks</c> are not used to release mutations: an ack says the
    /// server handled a mutation, not whether it applied or refused it, and the push answer (retried until it
    /// arrives) says which.</summary>
    private async Task ApplyFrameAsync(long lastSyncId, IReadOnlyList<SyncAction> actions, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (lastSyncId <= _metadata.LastSyncId)
            {
                return;
            }
            var changes = new List<LocalRecordChange>(actions.Count);
            foreach (SyncAction action in actions)
            {
                if (action.SyncId <= _metadata.LastSyncId || action.SyncId > lastSyncId
                    || _lazySkipUpTo.TryGetValue((action.ModelName, action.ModelId), out long skipUpTo) && action.SyncId <= skipUpTo)
                {
                    continue;
                }
                changes.Add(new LocalRecordChange(action.ModelName, action.ModelId, action.Action == SyncActionKinds.Delete ? null : action.Data?.GetRawText()));
            }
            PendingEntry[] released = [.. _pending.Where(p => p.ReleaseAt <= lastSyncId)];
            LocalMetadata metadata = _metadata with { LastSyncId = lastSyncId };
            _options.FaultPoint?.Invoke("after-receive-before-apply");
            await _store.WriteAsync(new LocalWrite { Records = changes, RemovePending = [.. released.Select(p => p.Id)], Metadata = metadata }, _stop.Token);
            _metadata = metadata;
            if (_lazySkipUpTo.Count > 0)
            {
                foreach (var passed in _lazySkipUpTo.Where(s => s.Value <= lastSyncId).Select(s => s.Key).ToArray())
                {
                    _lazySkipUpTo.Remove(passed);
                }
            }
            var touched = new HashSet<(string Model, string Id)>();
            _view.ApplyConfirmed(changes, clearFirst: false, touched);
            Forget(released);
            await _view.RebaseAsync(_pending, touched);
            Publish(touched);
            foreach (PendingEntry entry in released)
            {
                entry.Handle?.Confirm(entry.ReleaseAt!.Value);
            }
        }
        finally
        {
            ReleaseGate();
        }
    }

    /// <summary>Records the server's answer to a push: applied and duplicate mutations wait for their data, rejected
    /// ones leave at once.</summary>
    private async Task ApplyPushResultAsync(PushResult result, CancellationToken cancellationToken)
    {
        var rejected = new List<(PendingEntry Entry, ErrorBody Error)>();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // A duplicate was applied before, at some syncId no later than the newest one this answer names.
            long newest = Math.Max(_metadata.LastSyncId, result.Results.Max(r => r.LastSyncId) ?? 0);
            foreach (MutationResult outcome in result.Results)
            {
                PendingEntry? entry = _pending.Find(p => p.Id == outcome.Id);
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
            var touched = new HashSet<(string Model, string Id)>();
            if (rejected.Count > 0)
            {
                await _store.WriteAsync(new LocalWrite { RemovePending = [.. rejected.Select(r => r.Entry.Id)] }, _stop.Token);
                Forget(rejected.Select(r => r.Entry));
            }
            await ReleaseReachedAsync(touched);
            await _view.RebaseAsync(_pending, touched);
            Publish(touched);
        }
        finally
        {
            ReleaseGate();
        }
        foreach ((PendingEntry entry, ErrorBody error) in rejected)
        {
            // The event first: code awaiting the handle then finds the app already told.
            Raise(MutationRejected, new MutationRejectedEventArgs(entry.Id, entry.Name, error.Code, error.Message));
            entry.Handle?.Reject(new MutationRejectedException(error.Code, error.Message));
        }
    }

    /// <summary>Drops pending mutations whose data the confirmed state already includes (gate held).</summary>
    private async Task ReleaseReachedAsync(ISet<(string Model, string Id)> touched)
    {
        PendingEntry[] reached = [.. _pending.Where(p => p.ReleaseAt <= _metadata.LastSyncId)];
        if (reached.Length == 0)
        {
            return;
        }
        await _store.WriteAsync(new LocalWrite { RemovePending = [.. reached.Select(p => p.Id)] }, _stop.Token);
        Forget(reached);
        foreach (PendingEntry entry in reached)
        {
            entry.Handle?.Confirm(_metadata.LastSyncId);
        }
    }

    private void Forget(IEnumerable<PendingEntry> entries)
    {
        var gone = entries.Select(e => e.Id).ToHashSet();
        _pending.RemoveAll(p => gone.Contains(p.Id));
        PendingChanged();
    }
}
