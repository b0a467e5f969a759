using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>Arguments of the built-in <c>changes</c> mutator: Loco-style local changes of records.</summary>
public sealed record ChangesArgs(IReadOnlyList<Change> Changes)
{
    public const string MutatorName = "changes";
}

/// <summary>One change: <c>create</c> (full record), <c>update</c> (fields to change) or <c>delete</c>.</summary>
public sealed record Change(
    string Action,
    string ModelName,
    string ModelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObject? Data = null);

/// <summary>The values of <see cref="Change.Action"/>.</summary>
public static class ChangeKinds
{
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
}
