using System.Text;
using System.Text.Json.Nodes;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>
/// Turns a valid JSON request into a bad one: structural changes of its tree (a field dropped, duplicated, retyped,
/// an extreme number, deep nesting, a long string, an array repeated past a limit), malformed text in a string or a
/// key (lone surrogate escapes, invalid UTF-8, NUL and control bytes, bad escapes), truncation, other top-level
/// values, or random bytes. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal sealed class JsonFuzz(Random random)
{
    private static readonly Func<JsonNode?>[] OtherValues =
    [
        () => null, () => true, () => false, () => 0, () => -1, () => 1, () => 1.5, () => "", () => "x",
        () => new JsonArray(), () => new JsonObject(), () => new JsonArray(1, 2), () => new JsonObject { ["_tag"] = "Some" },
        () => new JsonObject { ["_tag"] = 5 }, () => new JsonObject { ["_tag"] = false }, () => "None", () => new JsonArray((JsonNode?)null),
    ];

    private static readonly string[] ExtremeNumbers =
    [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483648", "-2147483649", "1e308", "1e309", "-1e309", "1E400", "4.9e-324", "0.1", "-0", "1.0", "0e0", "1e-7",
        "123456789012345678901234567890123456789", "-1", "0", "1e2",
    ];

    /// <summary>Bad strings as raw JSON text: every one is where a string would be.</summary>
    private static readonly byte[][] BadStrings =
    [
        Ascii("\"\\ud800\""), Ascii("\"\\udc00\""), Ascii("\"a\\ud800b\""), Ascii("\"\\ud800\\ud800\""), Ascii("\"\\udbff\""),
        Ascii("\"\\ud800\\u0041\""), Ascii("\"x\\udfff\""), Ascii("\"\\u0000\""), Ascii("\"a\\u0000b\""), Ascii("\"\\uFFFF\""),
        Ascii("\"\\uFEFF\""), Ascii("\"\\u202E\""), Ascii("\"\\x41\""), Ascii("\"\\u12\""), Ascii("\"\\\""), Ascii("\"\\q\""),
        [(byte)'"', 0xFF, (byte)'"'], [(byte)'"', 0xC3, 0x28, (byte)'"'], [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"'],
        [(byte)'"', 0xF4, 0x90, 0x80, 0x80, (byte)'"'], [(byte)'"', 0xC0, 0xAF, (byte)'"'], [(byte)'"', 0x80, (byte)'"'],
        [(byte)'"', (byte)'a', 0xE2, 0x82, (byte)'"'], [(byte)'"', (byte)'a', 0x00, (byte)'b', (byte)'"'],
        [(byte)'"', 0x01, (byte)'"'], [(byte)'"', (byte)'\n', (byte)'"'], [(byte)'"', (byte)'\t', (byte)'"'],
        [(byte)'"', 0xEF, 0xBF, 0xBF, (byte)'"'], [(byte)'"', 0xF0, 0x9F, 0x98, 0x80, (byte)'"'],
    ];

    private static readonly byte[][] TopLevels =
    [
        [], Ascii("null"), Ascii("[]"), Ascii("0"), Ascii("\"x\""), Ascii("{}"), Ascii("[{}]"), Ascii("{"), Ascii("}"),
        Ascii("{\"a\":1,}"), Ascii("/* */{}"), Ascii("{}{}"), Ascii("true"), Ascii("\"\\ud800\""), [0xFF, 0xFE], [0x00],
        Ascii(" \t\r\n "), Ascii("[[[[[[[[[["), Ascii("{\"\":{\"\":{\"\":"),
    ];

    private readonly List<(string Marker, byte[] Raw)> _raw = [];

    /// <summary>A bad variant of <paramref name="template"/> and the names of what was done to it.</summary>
    public (string Strategy, byte[] Bytes) Mutate(JsonNode template)
    {
        _raw.Clear();
        int roll = random.Next(100);
        if (roll < 3)
        {
            return ("valid", Encoding.UTF8.GetBytes(template.ToJsonString()));
        }
        if (roll < 8)
        {
            return ("random-bytes", RandomBytes());
        }
        if (roll < 12)
        {
            byte[] top = TopLevels[random.Next(TopLevels.Length)];
            return random.Next(3) == 0
                ? ("utf16-or-bom", random.Next(2) == 0 ? Encoding.Unicode.GetBytes(template.ToJsonString()) : [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(template.ToJsonString())])
                : ("top-level", top);
        }
        JsonNode tree = template.DeepClone();
        var names = new List<string>();
        int changes = random.Next(1, 3);
        for (int i = 0; i < changes; i++)
        {
            names.Add(Change(ref tree));
        }
        byte[] bytes = Serialize(tree);
        if (random.Next(100) < 8)
        {
            names.Add("truncated");
            bytes = bytes[..random.Next(bytes.Length)];
        }
        return (string.Join('+', names), bytes);
    }

    /// <summary>Random bytes, sometimes with JSON's punctuation mixed in so that a parser gets further.</summary>
    private byte[] RandomBytes()
    {
        byte[] bytes = new byte[random.Next(0, 1025)];
        random.NextBytes(bytes);
        if (random.Next(2) == 0)
        {
            const string punctuation = "{}[]\":,\\ 0123456789aeflnrstu-.";
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)punctuation[bytes[i] % punctuation.Length];
            }
        }
        return bytes;
    }

    private string Change(ref JsonNode tree)
    {
        List<Slot> slots = Slots(tree);
        if (slots.Count == 0)
        {
            tree = new JsonArray();
            return "emptied";
        }
        Slot slot = slots[random.Next(slots.Count)];
        switch (random.Next(11))
        {
            case 0:
                slot.Remove();
                return $"drop({slot.Name})";
            case 1 when slot.Parent is JsonObject parent:
                parent[Raw(Quoted(slot.Key!))] = slot.Get()?.DeepClone();
                return $"duplicate({slot.Name})";
            case 2:
                slot.Set(OtherValues[random.Next(OtherValues.Length)]());
                return $"retype({slot.Name})";
            case 3:
                slot.Set(Raw(Ascii(ExtremeNumbers[random.Next(ExtremeNumbers.Length)])));
                return $"number({slot.Name})";
            case 4:
                slot.Set(Raw(Nesting(random.Next(4) switch { 0 => 65, 1 => 200, 2 => 1_000, _ => 100_000 })));
                return $"nesting({slot.Name})";
            case 5:
                slot.Set(new string('x', random.Next(20) == 0 ? 5_000_000 : random.Next(3) switch { 0 => 1_000, 1 => 70_000, _ => 1_000_000 }));
                return $"long-string({slot.Name})";
            case 6 or 7:
                slot.Set(Raw(BadStrings[random.Next(BadStrings.Length)]));
                return $"bad-string({slot.Name})";
            case 8 when slot.Parent is JsonObject parent:
                JsonNode? value = slot.Get()?.DeepClone();
                parent.Remove(slot.Key!);
                parent[Raw(BadStrings[random.Next(BadStrings.Length)])] = value;
                return $"bad-key({slot.Name})";
            case 9 when slot.Get() is JsonArray array && array.Count > 0:
                int copies = random.Next(4) switch { 0 => 2, 1 => 10, 2 => 1_001, _ => 5_000 };
                JsonNode? element = array[random.Next(array.Count)];
                for (int i = 0; i < copies; i++)
                {
                    array.Add(element?.DeepClone());
                }
                return $"repeat({slot.Name},{copies})";
            default:
                if (slot.Get() is JsonObject target)
                {
                    target["fz" + random.Next(1000)] = OtherValues[random.Next(OtherValues.Length)]();
                    return $"unknown-field({slot.Name})";
                }
                slot.Set(OtherValues[random.Next(OtherValues.Length)]());
                return $"retype({slot.Name})";
        }
    }

    /// <summary>A placeholder string that <see cref="Serialize"/> replaces by <paramref name="raw"/> as it is.</summary>
    private string Raw(byte[] raw)
    {
        string marker = "fz-raw-" + _raw.Count + "-7f3a";
        _raw.Add(("\"" + marker + "\"", raw));
        return marker;
    }

    private byte[] Serialize(JsonNode tree)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(tree.ToJsonString());
        foreach ((string marker, byte[] raw) in _raw)
        {
            bytes = Replace(bytes, Ascii(marker), raw);
        }
        return bytes;
    }

    private static byte[] Replace(byte[] bytes, byte[] marker, byte[] raw)
    {
        int at = bytes.AsSpan().IndexOf(marker);
        return at < 0 ? bytes : [.. bytes.AsSpan(0, at), .. raw, .. bytes.AsSpan(at + marker.Length)];
    }

    private static byte[] Nesting(int depth)
    {
        var text = new StringBuilder(depth * 2);
        text.Append('[', depth).Append(']', depth);
        return Ascii(text.ToString());
    }

    private static byte[] Quoted(string key) => Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(key));

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static List<Slot> Slots(JsonNode root)
    {
        var slots = new List<Slot>();
        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (string key in obj.Select(p => p.Key).ToList())
                    {
                        slots.Add(new Slot(obj, key, 0, path + "." + key));
                        Walk(obj[key], path + "." + key);
                    }
                    break;
                case JsonArray array:
                    for (int i = 0; i < array.Count; i++)
                    {
                        slots.Add(new Slot(array, null, i, path + "[" + i + "]"));
                        Walk(array[i], path + "[" + i + "]");
                    }
                    break;
            }
        }
        Walk(root, "$");
        return slots;
    }

    /// <summary>A place in the tree: a property of an object or an element of an array.</summary>
    private sealed record Slot(JsonNode Parent, string? Key, int Index, string Name)
    {
        public JsonNode? Get() => Parent is JsonObject obj ? obj[Key!] : ((JsonArray)Parent)[Index];

        public void Set(JsonNode? value)
        {
            if (Parent is JsonObject obj)
            {
                obj[Key!] = value;
            }
            else
            {
                ((JsonArray)Parent)[Index] = value;
            }
        }

        public void Remove()
        {
            if (Parent is JsonObject obj)
            {
                obj.Remove(Key!);
            }
            else
            {
                ((JsonArray)Parent).RemoveAt(Index);
            }
        }
    }
}
