using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>The <c>type</c> values of live, SSE and bootstrap objects.</summary>
public static class FrameTypes
{
    /// <summary>A <see cref="HandshakeFrame"/>: the first frame of a live connection.</summary>
    public const string Handshake = "handshake";

    /// <summary>A <see cref="SyncFrame"/>: sync actions, or a heartbeat that repeats the position.</summary>
    public const string Sync = "sync";

    /// <summary>A <see cref="GroupsFrame"/>: the user's sync groups changed.</summary>
    public const string Groups = "groups";

    /// <summary>An <see cref="ErrorFrame"/>: a fatal condition, after which the server closes.</summary>
    public const string Error = "error";

    /// <summary>A <see cref="PushFrame"/>: a push sent over the live WebSocket.</summary>
    public const string Push = "push";

    /// <summary>A <see cref="PushResultFrame"/>: the answer to a <see cref="PushFrame"/>.</summary>
    public const string PushResult = "pushResult";

    /// <summary>A client's keep-alive; the server answers <see cref="Pong"/>.</summary>
    public const string Ping = "ping";

    /// <summary>The server's answer to <see cref="Ping"/>.</summary>
    public const string Pong = "pong";
}

/// <summary>First frame of a live connection: the head at connect and all of the user's sync groups.</summary>
/// <param name="LastSyncId">The server's head when the connection opened; the frames that follow start after it.</param>
/// <param name="SyncGroups">Every sync group the user may read.</param>
public sealed record HandshakeFrame(long LastSyncId, IReadOnlyList<string> SyncGroups)
{
    /// <summary>Always <see cref="FrameTypes.Handshake"/>.</summary>
    public string Type => FrameTypes.Handshake;
}

/// <summary>Sync actions after the previous frame, up to <see cref="LastSyncId"/> (which covers filtered-out ones).</summary>
/// <param name="LastSyncId">The highest syncId this frame covers, actions the user may not read included.</param>
/// <param name="Sync">The actions the user may read, in syncId order; empty for a heartbeat.</param>
public sealed record SyncFrame(long LastSyncId, IReadOnlyList<SyncAction> Sync)
{
    /// <summary>Always <see cref="FrameTypes.Sync"/>.</summary>
    public string Type => FrameTypes.Sync;

    /// <summary>The connection's own clientId with its lastMutationId, when an action of this frame was written by
    /// that client; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? Acks { get; init; }
}

/// <summary>Sent when the user's sync groups change.</summary>
/// <param name="SyncGroups">All of the user's sync groups now, not only the ones that changed.</param>
public sealed record GroupsFrame(IReadOnlyList<string> SyncGroups)
{
    /// <summary>Always <see cref="FrameTypes.Groups"/>.</summary>
    public string Type => FrameTypes.Groups;
}

/// <summary>A fatal condition; the server closes the connection after it.</summary>
/// <param name="Error">What went wrong; <c>unauthorized</c> when the connection's token expired.</param>
public sealed record ErrorFrame(ErrorBody Error)
{
    /// <summary>Always <see cref="FrameTypes.Error"/>.</summary>
    public string Type => FrameTypes.Error;
}

/// <summary>A push sent over the live WebSocket.</summary>
/// <param name="RequestId">Chosen by the client; the answer's <see cref="PushResultFrame.RequestId"/> repeats it.</param>
/// <param name="ClientId">The pushing client, as in <see cref="PushRequest.ClientId"/>.</param>
/// <param name="Mutations">Mutations with consecutive ascending ids, as in <see cref="PushRequest.Mutations"/>.</param>
public sealed record PushFrame(string RequestId, string ClientId, IReadOnlyList<Mutation> Mutations)
{
    /// <summary>Always <see cref="FrameTypes.Push"/>.</summary>
    public string Type => FrameTypes.Push;
}

/// <summary>The answer to a <see cref="PushFrame"/>: the same content as an HTTP push answer, or an error.</summary>
/// <param name="RequestId">The <see cref="PushFrame.RequestId"/> this answers.</param>
public sealed record PushResultFrame(string RequestId)
{
    /// <summary>Always <see cref="FrameTypes.PushResult"/>.</summary>
    public string Type => FrameTypes.PushResult;

    /// <summary>One result per mutation, as in <see cref="PushResult.Results"/>; null when <see cref="Error"/> is set.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<MutationResult>? Results { get; init; }

    /// <summary>The client's lastMutationId after the push, as in <see cref="PushResult.LastMutationId"/>; null when
    /// <see cref="Error"/> is set.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastMutationId { get; init; }

    /// <summary>The error HTTP would have answered with (a gap, overload, a refused client); null on success.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ErrorBody? Error { get; init; }
}

/// <summary>A frame whose only content is its type (<c>ping</c>, <c>pong</c>), or any frame read before dispatch.</summary>
/// <param name="Type">One of <see cref="FrameTypes"/>.</param>
public sealed record TypedFrame(string Type);

/// <summary>Answer of <c>GET /sync/delta</c> and <c>GET /sync/poll</c>.</summary>
/// <param name="Sync">The actions the user may read, in syncId order.</param>
/// <param name="LastSyncId">The highest syncId this answer covers, filtered-out actions included: the client's next
/// <c>from</c>.</param>
/// <param name="HasMore">True when the page limit cut the answer short: ask again from <paramref name="LastSyncId"/>.</param>
public sealed record DeltaResponse(IReadOnlyList<SyncAction> Sync, long LastSyncId, bool HasMore);
