using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>One change to one record, created only by the server. Ordered by <see cref="SyncId"/>. A delete carries
/// no <see cref="Data"/>: the parameter has a default so that, under RespectRequiredConstructorParameters, a
/// delete without a <c>data</c> property still reads.</summary>
/// <param name="SyncId">The action's position in the server's log: unique, and ascending in commit order.</param>
/// <param name="Action">One of <see cref="SyncActionKinds"/>.</param>
/// <param name="ModelName">The record's model.</param>
/// <param name="ModelId">The record's id within its model.</param>
/// <param name="Data">The full record after the change; null for a delete.</param>
public sealed record SyncAction(
    long SyncId,
    string Action,
    string ModelName,
    string ModelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Data = null);

/// <summary>The values of <see cref="SyncAction.Action"/>.</summary>
public static class SyncActionKinds
{
    /// <summary>The record was created; <see cref="SyncAction.Data"/> is all of it.</summary>
    public const string Insert = "insert";

    /// <summary>The record changed (its fields or its groups); <see cref="SyncAction.Data"/> is its full new state.</summary>
    public const string Update = "update";

    /// <summary>The record was deleted, or, for the readers of a group it left, it is no longer theirs to see.</summary>
    public const string Delete = "delete";
}
