using Tether.Mutators;
namespace Tether.Client.Sqlite.Tests;

/// <summary>Comparisons of snapshots by value (records compare lists by reference, so they are spelled out).</summary>
internal static class Snapshots
{
    public static void AssertMetadataEqual(LocalMetadata expected, LocalMetadata actual)
    {
        Assert.Equal(expected.ClientId, actual.ClientId);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.SchemaVersion, actual.SchemaVersion);
        Assert.Equal(expected.FirstSyncId, actual.FirstSyncId);
        Assert.Equal(expected.LastSyncId, actual.LastSyncId);
        Assert.Equal(expected.SyncGroups, actual.SyncGroups);
        Assert.Equal(expected.NextMutationId, actual.NextMutationId);
        Assert.Equal(expected.IsBootstrapped, actual.IsBootstrapped);
    }

    /// <summary>Equal metadata, the same records in any order, and the same pending mutations in id order.</summary>
    public static void AssertSame(LocalSnapshot expected, LocalSnapshot actual)
    {
        AssertMetadataEqual(expected.Metadata, actual.Metadata);
        Assert.Equal(Sorted(expected.Records), Sorted(actual.Records));
        Assert.Equal(expected.Pending, actual.Pending);
    }

    public static List<StoredRecord> Sorted(IEnumerable<StoredRecord> records) =>
        [.. records.OrderBy(r => r.ModelName, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)];
}
