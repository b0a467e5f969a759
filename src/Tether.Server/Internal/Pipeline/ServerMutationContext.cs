using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Protocol;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Pipeline;

/// <summary>The authoritative <see cref="IMutationContext"/>: every read and write goes to the batch's
/// <see cref="PendingWrites"/> (reads see the batch's earlier writes), and every write appends its sync action. A
/// record of a model in the app's own tables (<paramref name="appRecords"/>) is written in the shape its row gives
/// it: the JSON the row will serve and the groups the model's rules put it in, whatever groups the mutator passed.</summary>
internal sealed class ServerMutationContext(
    PendingWrites writes,
    IAppRecordModels? appRecords,
    IReadOnlySet<string> userSyncGroups,
    string userId,
    DateTimeOffset now,
    string clientId,
    long mutationId,
    int maxIdLength) : IMutationContext
{
    private List<GroupChange>? _groupChanges;
    private long _firstSyncId;

    public string UserId => userId;
    public bool IsAuthoritative => true;
    public DateTimeOffset Now => now;

    /// <summary>Resolved by the pipeline against the batch's writes before the mutation ran, so it includes the
    /// memberships written by earlier mutations of the same batch.</summary>
    public IReadOnlySet<string> UserSyncGroups => userSyncGroups;

    /// <summary>What this mutation said of users' groups, or null when it said nothing. A mutation that wrote nothing
    /// cannot have changed a membership, whatever it said, so its word counts only as "resolve these users again".</summary>
    public IReadOnlyList<GroupChange>? GroupChanges => _firstSyncId != 0
        ? _groupChanges
        : _groupChanges?.Select(change => change with { Granted = null, Revoked = null }).ToList();

    public async ValueTask<Record?> GetAsync(string modelName, string id, CancellationToken cancellationToken = default)
    {
        CheckModel(modelName);
        return await writes.GetRecordAsync(modelName, id, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<Record>> ListAsync(string modelName, string syncGroup, CancellationToken cancellationToken = default)
    {
        CheckModel(modelName);
        return await writes.ListRecordsAsync(modelName, syncGroup, cancellationToken);
    }

    public async ValueTask InsertAsync(string modelName, string id, JsonObject data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken = default)
    {
        CheckModel(modelName);
        CheckId(id);
        bool appRecord = OwnedByApp(modelName);
        if (!appRecord)
        {
            syncGroups = CheckGroups(syncGroups);
        }
        if (await GetAsync(modelName, id, cancellationToken) is not null)
        {
            throw MutationRejectedException.InvalidArgs($"A {modelName} with id '{id}' already exists.");
        }
        JsonObject record = Copy(data);
        record["id"] = id;
        string json;
        if (appRecord)
        {
            (json, syncGroups) = appRecords!.Shape(modelName, id, record);
        }
        else
        {
            json = record.ToJsonString();
        }
        writes.PutRecord(modelName, id, json, syncGroups);
        Append(SyncActionKinds.Insert, modelName, id, json, syncGroups);
    }

    public async ValueTask UpdateAsync(string modelName, string id, JsonObject patch, IReadOnlyCollection<string>? syncGroups = null, CancellationToken cancellationToken = default)
    {
        Record existing = await GetAsync(modelName, id, cancellationToken)
            ?? throw MutationRejectedException.NotFound($"There is no {modelName} with id '{id}'.");
        bool appRecord = OwnedByApp(modelName);
        if (syncGroups is not null && !appRecord)
        {
            syncGroups = CheckGroups(syncGroups);
        }
        JsonObject record = Copy(existing.Data);
        foreach ((string field, JsonNode? value) in patch)
        {
            if (field != "id")
            {
                record[field] = value?.DeepClone();
            }
        }
        string json;
        IReadOnlyCollection<string> newGroups;
        if (appRecord)
        {
            (json, newGroups) = appRecords!.Shape(modelName, id, record);
        }
        else
        {
            json = record.ToJsonString();
            newGroups = syncGroups ?? existing.SyncGroups;
        }
        writes.PutRecord(modelName, id, json, newGroups);
        // Readers of a group the record leaves must learn that it is gone for them, without seeing its new data.
        string[] left = existing.SyncGroups.Except(newGroups, StringComparer.Ordinal).ToArray();
        if (left.Length > 0)
        {
            Append(SyncActionKinds.Delete, modelName, id, null, left);
        }
        Append(SyncActionKinds.Update, modelName, id, json, newGroups);
    }

    public async ValueTask DeleteAsync(string modelName, string id, CancellationToken cancellationToken = default)
    {
        Record existing = await GetAsync(modelName, id, cancellationToken)
            ?? throw MutationRejectedException.NotFound($"There is no {modelName} with id '{id}'.");
        writes.DeleteRecord(modelName, id);
        Append(SyncActionKinds.Delete, modelName, id, null, existing.SyncGroups);
    }

    public void SyncGroupsChanged(string changedUserId)
    {
        ArgumentNullException.ThrowIfNull(changedUserId);
        (_groupChanges ??= []).Add(new GroupChange(changedUserId, null, null));
    }

    public void SyncGroupsChanged(string changedUserId, IReadOnlyCollection<string> granted, IReadOnlyCollection<string> revoked)
    {
        ArgumentNullException.ThrowIfNull(changedUserId);
        ArgumentNullException.ThrowIfNull(granted);
        ArgumentNullException.ThrowIfNull(revoked);
        (_groupChanges ??= []).Add(new GroupChange(changedUserId, [.. granted], [.. revoked]));
    }

    /// <summary>Writes the group changes at the first syncId of this mutation, so a live connection re-resolves
    /// groups before it delivers any of the mutation's actions.</summary>
    public void Complete()
    {
        if (_groupChanges is null || _firstSyncId == 0)
        {
            return;
        }
        foreach (string changed in _groupChanges.Select(change => change.UserId).Distinct(StringComparer.Ordinal))
        {
            writes.AddGroupChange(_firstSyncId, changed);
        }
    }

    private void Append(string action, string modelName, string id, string? json, IReadOnlyCollection<string> syncGroups)
    {
        long syncId = writes.AppendAction(action, modelName, id, json, syncGroups, clientId, mutationId);
        if (_firstSyncId == 0)
        {
            _firstSyncId = syncId;
        }
    }

    private bool OwnedByApp(string modelName) => appRecords is not null && appRecords.Owns(modelName);

    private static JsonObject Copy(JsonObject data) => (JsonObject)data.DeepClone();

    private static void CheckModel(string modelName)
    {
        if (!ModelNames.IsValid(modelName))
        {
            throw new ArgumentException($"'{modelName}' is not a valid model name.", nameof(modelName));
        }
    }

    private void CheckId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > maxIdLength)
        {
            throw MutationRejectedException.InvalidArgs($"A record id has 1 to {maxIdLength} characters.");
        }
    }

    /// <summary>The groups once each; a record belongs to at least one non-empty group.</summary>
    private static string[] CheckGroups(IReadOnlyCollection<string> syncGroups)
    {
        if (syncGroups.Count == 0 || syncGroups.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("A record belongs to at least one non-empty sync group.", nameof(syncGroups));
        }
        return [.. syncGroups.Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>A mutation's word that <paramref name="UserId"/>'s groups change: exactly how when both
/// <paramref name="Granted"/> and <paramref name="Revoked"/> are known, otherwise only that they do.</summary>
internal sealed record GroupChange(string UserId, IReadOnlyCollection<string>? Granted, IReadOnlyCollection<string>? Revoked);
