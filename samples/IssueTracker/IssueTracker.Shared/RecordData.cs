using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace IssueTracker;

/// <summary>Reads plain JSON record data (the group resolver and the write policy work on records as they are
/// stored, so fields are read defensively) and stamps new records.</summary>
public static class RecordData
{
    /// <summary>The string value of a field, or null when it is missing or not a string.</summary>
    public static string? GetString(JsonObject data, string field) =>
        data[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The <c>createdAt</c> of a record created now: the context's time, so the server's run decides it
    /// and a client cannot backdate, in the protocol's time format (UTC, round-trip).</summary>
    public static string CreatedAt(IMutationContext context) =>
        context.Now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
