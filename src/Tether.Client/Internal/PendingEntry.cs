using System.Text.Json;

namespace Tether.Client.Internal;

/// <summary>A pending mutation in memory: what to replay, and how far the server has got with it.</summary>
internal sealed class PendingEntry(long id, string name, JsonElement args, MutationHandle? handle, DateTimeOffset now)
{
    /// <summary>The clock of the mutation's first local run, used again for every replay, so a rebase does not make
    /// time-stamped fields (createdAt) change on every frame.</summary>
    public DateTimeOffset Now { get; } = now;

    public long Id { get; } = id;
    public string Name { get; } = name;
    public JsonElement Args { get; } = args;

    /// <summary>The handle of the process that created it; null for mutations loaded from the store.</summary>
    public MutationHandle? Handle { get; } = handle;

    /// <summary>Set when the server answered applied or duplicate: the pending entry leaves once the confirmed
    /// data reaches this syncId.</summary>
    public long? ReleaseAt { get; set; }

    public PendingMutation ToStored() => new(Id, Name, Args.GetRawText());
}
