namespace Tether.Server.Internal.Auth;

/// <summary>The clientIds of Tether's own protocol. The front ends keep their clients in the same table and name
/// their writes in the same log under ids with a ':' (<c>rep:&lt;clientID&gt;</c> for Replicache, <c>livestore:…</c>,
/// <c>replicache:…</c>), so a native clientId has none: no native client can take a front end's client id (and be
/// its owner from then on), and no front end can produce a native one.</summary>
internal static class ClientIds
{
    public const string Rule = "clientId has 1 to 128 printable characters and no ':' (ids with ':' belong to the LiveStore and Replicache front ends).";

    public static bool IsValid(string? id) => UserIds.IsValid(id) && !id!.Contains(':', StringComparison.Ordinal);
}
