using System.Text.Json;
using System.Text.Unicode;

namespace Tether.Server.Extensibility;

/// <summary>
/// The one check every front end runs on what a client sends, before anything reads it: JSON text must be valid
/// UTF-8, syntactically JSON, no deeper than the limit, with no unpaired UTF-16 surrogate escape (<c>"\ud800"</c>) in
/// a string or a name and no name twice in one object; a string from a query or header must hold no unpaired
/// surrogate. System.Text.Json's document types accept all of these when parsing and throw only later, when a value
/// is read (InvalidOperationException for the strings, ArgumentException for a repeated name in a JsonObject), far
/// from any answer a client could be given; after this check they cannot.
/// </summary>
public static class WellFormed
{
    /// <summary>True when <paramref name="value"/> is well-formed UTF-16 (every surrogate in a pair); null counts as
    /// well-formed, for optional values.</summary>
    public static bool IsText(string? value)
    {
        if (value is null)
        {
            return true;
        }
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Null when <paramref name="json"/> is one well-formed JSON value; otherwise a sentence for the client
    /// saying what is wrong (nothing of .NET's own messages).</summary>
    public static string? JsonProblem(ReadOnlySpan<byte> json, int maxDepth)
    {
        // 0 is System.Text.Json's "the default", which is 64.
        maxDepth = maxDepth > 0 ? maxDepth : 64;
        if (!Utf8.IsValid(json))
        {
            return "The text is not valid UTF-8.";
        }
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        var names = new Stack<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        names.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        names.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        if (reader.ValueIsEscaped && !EscapesAreWellFormed(reader.ValueSpan))
                        {
                            return UnpairedSurrogate;
                        }
                        if (!names.Peek().Add(reader.GetString()!))
                        {
                            return "An object of the JSON text has the same name twice.";
                        }
                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped && !EscapesAreWellFormed(reader.ValueSpan):
                        return UnpairedSurrogate;
                }
            }
        }
        catch (JsonException)
        {
            // The reader's message names byte positions in .NET's wording, and says no more than this.
            return $"The text is not JSON, or nests deeper than {maxDepth} levels.";
        }
        return null;
    }

    private const string UnpairedSurrogate = "A string of the JSON text holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff).";

    /// <summary>Checks the <c>\uXXXX</c> escapes of a raw (still escaped) string token: a high surrogate must be
    /// followed at once by a low one, and a low one must follow a high one. The reader already checked the escape
    /// syntax, and valid UTF-8 cannot encode a surrogate, so escapes are the only way one gets in.</summary>
    private static bool EscapesAreWellFormed(ReadOnlySpan<byte> raw)
    {
        bool expectLow = false;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (expectLow)
                {
                    return false;
                }
                continue;
            }
            if (raw[i + 1] != (byte)'u')
            {
                if (expectLow)
                {
                    return false;
                }
                i++;
                continue;
            }
            int unit = Hex(raw[i + 2]) << 12 | Hex(raw[i + 3]) << 8 | Hex(raw[i + 4]) << 4 | Hex(raw[i + 5]);
            i += 5;
            bool high = unit is >= 0xD800 and <= 0xDBFF;
            bool low = unit is >= 0xDC00 and <= 0xDFFF;
            if (expectLow != low)
            {
                return false;
            }
            expectLow = high;
        }
        return !expectLow;
    }

    private static int Hex(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        _ => digit - 'A' + 10,
    };
}
