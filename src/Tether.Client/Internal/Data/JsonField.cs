using System.Text.Json;

namespace Tether.Client.Internal.Data;

/// <summary>Reads one top-level field of a record's UTF-8 JSON without parsing the rest: how indexes and equality
/// filters see a record.</summary>
internal static class JsonField
{
    /// <summary>The field's value as an index key: the string's value for a JSON string, null for anything else
    /// (missing, null, a number, an object): equality filters and indexes cover string fields.</summary>
    public static string? StringValue(ReadOnlySpan<byte> json, string field)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(field);
            reader.Read();
            if (match)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            reader.Skip();
        }
        return null;
    }
}
