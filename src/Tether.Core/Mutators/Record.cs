using System.Text.Json.Nodes;

namespace Tether.Mutators;

/// <summary>A record of a model: its id, its JSON data (which includes <c>id</c>) and the sync groups it belongs to.</summary>
public sealed record Record(string ModelName, string Id, JsonObject Data, IReadOnlyList<string> SyncGroups);
