using System.Text.Json.Serialization;

namespace Tether.Client.Sqlite.Internal;

/// <summary>Source-generated JSON for the sync groups list kept in <c>meta</c>.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class LocalJsonContext : JsonSerializerContext;
