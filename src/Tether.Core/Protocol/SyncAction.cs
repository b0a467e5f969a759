using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>One change to one record, created only by the server. Ordered by <see cref="SyncId"/>. A delete carries
/// no <see cref="Data"/>: the parameter has a default so that, under RespectRequiredConstructorParameters, a
/// delete without a <c>data</c> property still reads.</summary>
public sealed record SyncAction(
    long SyncId,
    string Action,
    string ModelName,
    string ModelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Data = null);

/// <summary>The values of <see cref="SyncAction.Action"/>.</summary>
public static class SyncActionKinds
{
    public const string Insert = "insert";
    public const string Update = "update";
    public const string Delete = "delete";
}
