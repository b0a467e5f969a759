using Tether.Mutators;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Client.Browser.Internal;

/// <summary>The metadata object as stored under the key <c>"metadata"</c>; a missing field reads as
/// <see cref="LocalMetadata"/>'s default.</summary>
internal sealed record MetadataDto(
    string? ClientId,
    string? UserId,
    int? SchemaVersion,
    long FirstSyncId,
    long LastSyncId,
    IReadOnlyList<string>? SyncGroups,
    long NextMutationId = 1)
{
    public static MetadataDto From(LocalMetadata m) =>
        new(m.ClientId, m.UserId, m.SchemaVersion, m.FirstSyncId, m.LastSyncId, [.. m.SyncGroups], m.NextMutationId);

    public LocalMetadata ToMetadata() => new()
    {
        ClientId = ClientId,
        UserId = UserId,
        SchemaVersion = SchemaVersion,
        FirstSyncId = FirstSyncId,
        LastSyncId = LastSyncId,
        SyncGroups = SyncGroups ?? [],
        NextMutationId = NextMutationId,
    };
}

internal sealed record RecordDto(string ModelName, string Id, string? Data)
{
    public static RecordDto[] From(IReadOnlyList<LocalRecordChange> changes)
    {
        var records = new RecordDto[changes.Count];
        for (var i = 0; i < records.Length; i++)
        {
            LocalRecordChange change = changes[i] ?? throw new ArgumentException("A record change is null.", nameof(changes));
            records[i] = new RecordDto(change.ModelName, change.Id, change.Data);
        }

        return records;
    }
}

internal sealed record PendingDto(long Id, string Name, string Args);

/// <summary>What the module's <c>load</c> returns.</summary>
internal sealed record SnapshotDto(MetadataDto? Metadata, IReadOnlyList<RecordDto>? Records, IReadOnlyList<PendingDto>? Pending)
{
    public LocalSnapshot ToSnapshot() => new(
        Metadata?.ToMetadata() ?? new LocalMetadata(),
        [.. (Records ?? []).Select(r => new StoredRecord(r.ModelName, r.Id, r.Data ?? throw new InvalidDataException($"Record {r.ModelName}/{r.Id} has no data.")))],
        [.. (Pending ?? []).Select(p => new PendingMutation(p.Id, p.Name, p.Args))]);
}

/// <summary>What the module's <c>write</c> takes: one <see cref="LocalWrite"/> (and <c>bulkCommit</c> its last part).</summary>
internal sealed record WriteDto(
    bool ClearRecords,
    IReadOnlyList<RecordDto> Records,
    IReadOnlyList<PendingDto> AddPending,
    IReadOnlyList<long> RemovePending,
    MetadataDto? Metadata)
{
    public static WriteDto From(LocalWrite w)
    {
        RecordDto[] records = RecordDto.From(w.Records);
        var pending = new PendingDto[w.AddPending.Count];
        for (var i = 0; i < pending.Length; i++)
        {
            PendingMutation mutation = w.AddPending[i] ?? throw new ArgumentException("A pending mutation is null.", nameof(w));
            pending[i] = new PendingDto(mutation.Id, mutation.Name, mutation.Args);
        }

        return new WriteDto(w.ClearRecords, records, pending, [.. w.RemovePending], w.Metadata is { } m ? MetadataDto.From(m) : null);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SnapshotDto))]
[JsonSerializable(typeof(WriteDto))]
[JsonSerializable(typeof(RecordDto[]))]
internal sealed partial class IndexedDbJsonContext : JsonSerializerContext;
