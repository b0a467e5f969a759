using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>Body of <c>POST /sync/bootstrap</c>.</summary>
/// <param name="Type">One of <see cref="BootstrapTypes"/>.</param>
/// <param name="Models">The models to download; null or empty for every model the server offers.</param>
/// <param name="SyncGroups">For a lazy bootstrap, the groups to download (each must be the user's); null for an
/// eager one, which covers all of the user's groups.</param>
public sealed record BootstrapRequest(string Type, IReadOnlyList<string>? Models = null, IReadOnlyList<string>? SyncGroups = null);

/// <summary>The values of <see cref="BootstrapRequest.Type"/>.</summary>
public static class BootstrapTypes
{
    /// <summary>Every record of the user's groups: replaces all of a client's data.</summary>
    public const string Eager = "eager";

    /// <summary>Only the records of the named groups: adds groups the user was just given.</summary>
    public const string Lazy = "lazy";
}

/// <summary>The values of <see cref="BootstrapLine.Type"/>.</summary>
public static class BootstrapLineTypes
{
    /// <summary>The first line: <see cref="BootstrapLine.FirstSyncId"/>, <see cref="BootstrapLine.SyncGroups"/> and
    /// <see cref="BootstrapLine.SchemaVersion"/> are set.</summary>
    public const string Start = "start";

    /// <summary>A page of records of one model: <see cref="BootstrapLine.ModelName"/> and <see cref="BootstrapLine.Rows"/> are set.</summary>
    public const string Rows = "rows";

    /// <summary>The last line: <see cref="BootstrapLine.RowCount"/> is set. A stream without it is discarded.</summary>
    public const string End = "end";
}

/// <summary>One line of the NDJSON bootstrap stream. <see cref="Type"/> says which fields are set.</summary>
/// <param name="Type">One of <see cref="BootstrapLineTypes"/>.</param>
public sealed record BootstrapLine(string Type)
{
    /// <summary>On the start line: the position the snapshot is consistent at (every action up to it is reflected,
    /// none after); null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? FirstSyncId { get; init; }

    /// <summary>On the start line: the sync groups the snapshot covers; null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? SyncGroups { get; init; }

    /// <summary>On the start line: the newest app schema version the server supports, as text; null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SchemaVersion { get; init; }

    /// <summary>On a rows line: the model of <see cref="Rows"/>; null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ModelName { get; init; }

    /// <summary>On a rows line: full records, each with its <c>id</c>; null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<JsonElement>? Rows { get; init; }

    /// <summary>On the end line: how many rows the stream carried, so a client can tell a complete download;
    /// null on other lines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? RowCount { get; init; }
}
