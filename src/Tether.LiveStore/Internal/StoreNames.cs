using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tether.LiveStore.Internal;

/// <summary>
/// Where a LiveStore store lives in Tether's storage: one <c>livestore_store</c> record (backendId, head) and one
/// <c>livestore_event</c> record per event, all in the store's own sync group, which no user's group resolver
/// grants. Event ids are the store's key and the zero-padded sequence number, so id order is event order.
/// </summary>
internal static class StoreNames
{
    public const string StoreModel = "livestore_store";
    public const string EventModel = "livestore_event";
    private const int MaxPlainKeyLength = 200;

    /// <summary>A short, unique key for any store id (record ids are at most 256 characters).</summary>
    public static string Key(string storeId)
        => storeId.Length <= MaxPlainKeyLength
            ? "s:" + storeId
            : "h:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(storeId)));

    public static string Group(string storeKey) => "livestore:" + storeKey;

    /// <summary>Every store record is also in this group, so the stores can be listed (keys start with s: or h:,
    /// so no store's own group is this one).</summary>
    public const string DirectoryGroup = "livestore:$stores";

    /// <summary>Per user, the number of stores the user created (<see cref="StoreQuota"/>), in a group of its own
    /// that no client reads.</summary>
    public const string OwnerModel = "livestore_owner";
    public const string OwnerGroup = "livestore:$owners";

    public static string OwnerKey(string userId) => "u:" + userId;

    public static string EventId(string storeKey, long seqNum) => storeKey + "/" + seqNum.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Sorts before every event id of the store.</summary>
    public static string BeforeFirstEvent(string storeKey) => storeKey + "/";
}
