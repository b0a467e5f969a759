using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>Body of <c>POST /sync/bootstrap</c>.</summary>
public sealed record BootstrapRequest(string Type, IReadOnlyList<string>? Models = null, IReadOnlyList<string>? SyncGroups = null);

/// <summary>The values of <see cref="BootstrapRequest.Type"/>.</summary>
public static class BootstrapTypes
{
    public const string Eager = "eager";
    public const string Lazy = "lazy";
}

/// <summary>The values of <see cref="BootstrapLine.Type"/>.</summary>
public static class BootstrapLineTypes
{
    public const string Start = "start";
    public const string Rows = "rows";
    public const string End = "end";
}

/// <summary>One line of the NDJSON bootstrap stream. <see cref="Type"/> says which fields are set.</summary>
public sealed record BootstrapLine(string Type)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? FirstSyncId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? SyncGroups { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SchemaVersion { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ModelName { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<JsonElement>? Rows { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? RowCount { get; init; }
}
