using System.Text.Json.Nodes;

namespace Tether.Mutators;

/// <summary>A record of a model: its id, its JSON data (which includes <c>id</c>) and the sync groups it belongs to.</summary>
/// <param name="ModelName">The record's model.</param>
/// <param name="Id">The record's id within its model.</param>
/// <param name="Data">All of the record's fields, <c>id</c> included.</param>
/// <param name="SyncGroups">The sync groups whose members may read the record.</param>
public sealed record Record(string ModelName, string Id, JsonObject Data, IReadOnlyList<string> SyncGroups);
