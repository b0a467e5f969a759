using Tether.Server.Storage;

namespace Tether.Server;

/// <summary>Decides which sync groups a user may read. Supplied by the app; called on every request and connect,
/// and again on a live connection when a mutation says the user's groups changed. The answer must follow from the
/// records <c>records</c> holds: the writer keeps a user's groups from one commit to the next while those records are
/// unchanged, updating them as mutations say (<c>IMutationContext.SyncGroupsChanged</c>).</summary>
public interface ISyncGroupResolver
{
    /// <summary>The sync groups <paramref name="userId"/> may read, decided from <paramref name="records"/> (the state
    /// of the request's snapshot or the writer's transaction).</summary>
    ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken);
}
