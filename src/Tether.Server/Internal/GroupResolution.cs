using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>Resolves a user's sync groups against the latest committed state.</summary>
internal sealed class GroupResolution(ITetherStore store, ISyncGroupResolver resolver)
{
    public async Task<IReadOnlySet<string>> ResolveAsync(string userId, CancellationToken cancellationToken)
    {
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken);
        return await resolver.ResolveAsync(userId, snapshot, cancellationToken);
    }

    public ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
        => resolver.ResolveAsync(userId, records, cancellationToken);
}

/// <summary>The resolver used when the app supplies none: each user reads only its own group <c>user:&lt;id&gt;</c>.</summary>
internal sealed class UserGroupResolver : ISyncGroupResolver
{
    public ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlySet<string>>(new HashSet<string>(StringComparer.Ordinal) { "user:" + userId });
}
