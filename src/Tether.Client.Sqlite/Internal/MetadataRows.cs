using System.Globalization;
using System.Text.Json;

namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// <see cref="LocalMetadata"/> as rows of <c>meta(key, value)</c>: one row per field, numbers as invariant text,
/// absent values as NULL, sync groups as a JSON array. A missing row reads as the field's default.
/// </summary>
internal static class MetadataRows
{
    public const string ClientId = "client_id";
    public const string UserId = "user_id";
    public const string SchemaVersion = "schema_version";
    public const string FirstSyncId = "first_sync_id";
    public const string LastSyncId = "last_sync_id";
    public const string SyncGroups = "sync_groups";
    public const string NextMutationId = "next_mutation_id";

    public static IEnumerable<(string Key, string? Value)> ToRows(LocalMetadata metadata)
    {
        yield return (ClientId, metadata.ClientId);
        yield return (UserId, metadata.UserId);
        yield return (SchemaVersion, metadata.SchemaVersion?.ToString(CultureInfo.InvariantCulture));
        yield return (FirstSyncId, metadata.FirstSyncId.ToString(CultureInfo.InvariantCulture));
        yield return (LastSyncId, metadata.LastSyncId.ToString(CultureInfo.InvariantCulture));
        yield return (SyncGroups, JsonSerializer.Serialize([.. metadata.SyncGroups], LocalJsonContext.Default.StringArray));
        yield return (NextMutationId, metadata.NextMutationId.ToString(CultureInfo.InvariantCulture));
    }

    public static LocalMetadata FromRows(IReadOnlyDictionary<string, string?> rows)
    {
        var metadata = new LocalMetadata();
        if (rows.Count == 0)
        {
            return metadata;
        }

        return metadata with
        {
            ClientId = rows.GetValueOrDefault(ClientId),
            UserId = rows.GetValueOrDefault(UserId),
            SchemaVersion = rows.GetValueOrDefault(SchemaVersion) is { } schema
                ? int.Parse(schema, NumberStyles.Integer, CultureInfo.InvariantCulture)
                : null,
            FirstSyncId = Long(rows, FirstSyncId, metadata.FirstSyncId),
            LastSyncId = Long(rows, LastSyncId, metadata.LastSyncId),
            SyncGroups = rows.GetValueOrDefault(SyncGroups) is { } groups
                ? JsonSerializer.Deserialize(groups, LocalJsonContext.Default.StringArray) ?? []
                : [],
            NextMutationId = Long(rows, NextMutationId, metadata.NextMutationId),
        };
    }

    private static long Long(IReadOnlyDictionary<string, string?> rows, string key, long fallback) =>
        rows.GetValueOrDefault(key) is { } text ? long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;
}
