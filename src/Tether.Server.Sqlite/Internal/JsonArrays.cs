using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// Lists travel to and from SQLite as JSON arrays (<c>json_each</c>, <c>json_group_array</c>): one parameter for any
/// number of models or groups keeps the SQL text fixed, so statements stay cacheable and fully parameterised.
/// </summary>
internal static class JsonArrays
{
    public static string FromStrings(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string FromIds(IReadOnlyList<long> ids)
    {
        if (ids.Count == 1)
        {
            return $"[{ids[0]}]";
        }

        return "[" + string.Join(',', ids) + "]";
    }

    public static IReadOnlyList<string> ToStrings(string json)
    {
        if (json == "[]")
        {
            return [];
        }

        var result = new List<string>(2);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                result.Add(reader.GetString()!);
            }
        }

        return result;
    }
}
