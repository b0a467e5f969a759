using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>Arguments of the built-in <c>changes</c> mutator: Loco-style local changes of records.</summary>
/// <param name="Changes">The changes, applied in order as one mutation: all of them or none.</param>
public sealed record ChangesArgs(IReadOnlyList<Change> Changes)
{
    /// <summary>The name the built-in mutator is registered under (<c>changes</c>).</summary>
    public const string MutatorName = "changes";
}

/// <summary>One change: <c>create</c> (full record), <c>update</c> (fields to change) or <c>delete</c>.</summary>
/// <param name="Action">One of <see cref="ChangeKinds"/>.</param>
/// <param name="ModelName">The record's model.</param>
/// <param name="ModelId">The record's id within its model.</param>
/// <param name="Data">For <c>create</c> the full record, for <c>update</c> the fields to set; null for <c>delete</c>.</param>
public sealed record Change(
    string Action,
    string ModelName,
    string ModelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObject? Data = null);

/// <summary>The values of <see cref="Change.Action"/>.</summary>
public static class ChangeKinds
{
    /// <summary>Creates a record from <see cref="Change.Data"/>; refused when the id exists.</summary>
    public const string Create = "create";

    /// <summary>Sets the fields of <see cref="Change.Data"/> on an existing record; the other fields stay.</summary>
    public const string Update = "update";

    /// <summary>Deletes the record.</summary>
    public const string Delete = "delete";
}
