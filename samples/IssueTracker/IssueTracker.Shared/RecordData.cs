using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace IssueTracker;

/// <summary>Reads and starts record data. Records arrive as plain JSON, so fields are read defensively.</summary>
public static class RecordData
{
    /// <summary>The string value of a field, or null when it is missing or not a string.</summary>
    public static string? GetString(JsonObject data, string field) =>
        data[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A new record's data with the fields every record carries. The stamps come from the context, so the
    /// server's run decides them and a client cannot backdate or impersonate.</summary>
    public static JsonObject Created(IMutationContext context, string id) => new()
    {
        ["id"] = id,
        ["createdBy"] = context.UserId,
        ["createdAt"] = context.Now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
    };
}
