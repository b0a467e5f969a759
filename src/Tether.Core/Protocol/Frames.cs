using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>The <c>type</c> values of live, SSE and bootstrap objects.</summary>
public static class FrameTypes
{
    public const string Handshake = "handshake";
    public const string Sync = "sync";
    public const string Groups = "groups";
    public const string Error = "error";
    public const string Push = "push";
    public const string PushResult = "pushResult";
    public const string Ping = "ping";
    public const string Pong = "pong";
}

/// <summary>First frame of a live connection: the head at connect and all of the user's sync groups.</summary>
public sealed record HandshakeFrame(long LastSyncId, IReadOnlyList<string> SyncGroups)
{
    public string Type => FrameTypes.Handshake;
}

/// <summary>Sync actions after the previous frame, up to <see cref="LastSyncId"/> (which covers filtered-out ones).</summary>
public sealed record SyncFrame(long LastSyncId, IReadOnlyList<SyncAction> Sync)
{
    public string Type => FrameTypes.Sync;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? Acks { get; init; }
}

/// <summary>Sent when the user's sync groups change.</summary>
public sealed record GroupsFrame(IReadOnlyList<string> SyncGroups)
{
    public string Type => FrameTypes.Groups;
}

/// <summary>A fatal condition; the server closes the connection after it.</summary>
public sealed record ErrorFrame(ErrorBody Error)
{
    public string Type => FrameTypes.Error;
}

/// <summary>A push sent over the live WebSocket.</summary>
public sealed record PushFrame(string RequestId, string ClientId, IReadOnlyList<Mutation> Mutations)
{
    public string Type => FrameTypes.Push;
}

/// <summary>The answer to a <see cref="PushFrame"/>: the same content as an HTTP push answer, or an error.</summary>
public sealed record PushResultFrame(string RequestId)
{
    public string Type => FrameTypes.PushResult;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<MutationResult>? Results { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastMutationId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ErrorBody? Error { get; init; }
}

/// <summary>A frame whose only content is its type (<c>ping</c>, <c>pong</c>), or any frame read before dispatch.</summary>
public sealed record TypedFrame(string Type);

/// <summary>Answer of <c>GET /sync/delta</c> and <c>GET /sync/poll</c>.</summary>
public sealed record DeltaResponse(IReadOnlyList<SyncAction> Sync, long LastSyncId, bool HasMore);
