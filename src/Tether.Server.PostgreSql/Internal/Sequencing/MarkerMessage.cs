using System.Buffers;
using System.Text.Json;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The logical message (prefix <c>tether</c>, transactional) a Tether write batch emits in its transaction, so the
/// sequencer knows what the rows alone cannot say: the batch's key (what its pushes wait for), which mutation last
/// wrote each record (the acks), and the users whose groups it changed. UTF-8 compact JSON:
/// <c>{"k":"&lt;key&gt;","w":[[model,id,clientId,mutationId],…],"g":[userId,…]}</c>, <c>w</c> and <c>g</c> left out
/// when empty (a fence is <c>{"k":"fence-…"}</c>).
/// </summary>
internal sealed class MarkerMessage
{
    public const string Prefix = "tether";

    private static readonly Dictionary<(string Model, string Id), (string ClientId, long MutationId)> NoWrites = [];

    private readonly Dictionary<(string Model, string Id), (string ClientId, long MutationId)> _writers;

    private MarkerMessage(string key, Dictionary<(string Model, string Id), (string ClientId, long MutationId)> writers, IReadOnlyList<string> users)
    {
        Key = key;
        _writers = writers;
        Users = users;
    }

    /// <summary>The write batch's key.</summary>
    public string Key { get; }

    /// <summary>The users whose groups the batch's mutations changed.</summary>
    public IReadOnlyList<string> Users { get; }

    /// <summary>The number of records whose writer the marker names.</summary>
    public int WriterCount => _writers.Count;

    /// <summary>The mutation that last wrote the record in the batch, if the marker names one.</summary>
    public bool TryGetWriter(string model, string id, out string clientId, out long mutationId)
    {
        if (_writers.TryGetValue((model, id), out (string ClientId, long MutationId) writer))
        {
            (clientId, mutationId) = writer;
            return true;
        }
        clientId = "";
        mutationId = 0;
        return false;
    }

    public static byte[] Format(string key, IEnumerable<(string Model, string Id, string ClientId, long MutationId)> writes, IEnumerable<string> users)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("k", key);
            bool any = false;
            foreach ((string model, string id, string clientId, long mutationId) in writes)
            {
                if (!any)
                {
                    json.WriteStartArray("w");
                    any = true;
                }
                json.WriteStartArray();
                json.WriteStringValue(model);
                json.WriteStringValue(id);
                json.WriteStringValue(clientId);
                json.WriteNumberValue(mutationId);
                json.WriteEndArray();
            }
            if (any)
            {
                json.WriteEndArray();
            }
            any = false;
            foreach (string user in users)
            {
                if (!any)
                {
                    json.WriteStartArray("g");
                    any = true;
                }
                json.WriteStringValue(user);
            }
            if (any)
            {
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a marker. Members it does not know are skipped, so a newer writer may add some; anything else
    /// that is not the format above is a <see cref="FormatException"/>.</summary>
    public static MarkerMessage Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Read(utf8);
        }
        catch (JsonException e)
        {
            throw new FormatException("The marker is not JSON: " + e.Message, e);
        }
    }

    private static MarkerMessage Read(ReadOnlySpan<byte> utf8)
    {
        var json = new Utf8JsonReader(utf8);
        Expect(ref json, JsonTokenType.StartObject, "the marker");
        string? key = null;
        Dictionary<(string, string), (string, long)>? writers = null;
        List<string>? users = null;
        while (true)
        {
            Next(ref json);
            if (json.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            if (json.ValueTextEquals("k"u8))
            {
                Once(key, "k");
                key = String(ref json, "k");
                if (key.Length == 0)
                {
                    throw new FormatException("The marker's key is empty.");
                }
            }
            else if (json.ValueTextEquals("w"u8))
            {
                Once(writers, "w");
                writers = ReadWriters(ref json);
            }
            else if (json.ValueTextEquals("g"u8))
            {
                Once(users, "g");
                users = ReadUsers(ref json);
            }
            else
            {
                Next(ref json);
                json.Skip();
            }
        }
        // The reader rejects anything after the object but only when asked for it.
        if (json.Read())
        {
            throw new FormatException("The marker has content after its object.");
        }
        return new MarkerMessage(key ?? throw new FormatException("The marker has no key (\"k\")."), writers ?? NoWrites, users ?? (IReadOnlyList<string>)[]);
    }

    private static Dictionary<(string, string), (string, long)> ReadWriters(ref Utf8JsonReader json)
    {
        Expect(ref json, JsonTokenType.StartArray, "\"w\"");
        var writers = new Dictionary<(string, string), (string, long)>();
        while (true)
        {
            Next(ref json);
            if (json.TokenType == JsonTokenType.EndArray)
            {
                return writers;
            }
            if (json.TokenType != JsonTokenType.StartArray)
            {
                throw new FormatException("An entry of the marker's \"w\" is not an array.");
            }
            string model = String(ref json, "a write's model");
            string id = String(ref json, "a write's id");
            string clientId = String(ref json, "a write's client id");
            Next(ref json);
            if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long mutationId))
            {
                throw new FormatException("A write's mutation id in the marker is not a 64-bit integer.");
            }
            Expect(ref json, JsonTokenType.EndArray, "the end of a write");
            // The same record written twice in a batch: the later mutation is the one whose ack counts.
            writers[(model, id)] = (clientId, mutationId);
        }
    }

    private static List<string> ReadUsers(ref Utf8JsonReader json)
    {
        Expect(ref json, JsonTokenType.StartArray, "\"g\"");
        var users = new List<string>();
        while (true)
        {
            Next(ref json);
            if (json.TokenType == JsonTokenType.EndArray)
            {
                return users;
            }
            users.Add(json.TokenType == JsonTokenType.String ? json.GetString()! : throw new FormatException("A user of the marker's \"g\" is not a string."));
        }
    }

    private static string String(ref Utf8JsonReader json, string what)
    {
        Next(ref json);
        return json.TokenType == JsonTokenType.String ? json.GetString()! : throw new FormatException($"The marker's {what} is not a string.");
    }

    private static void Expect(ref Utf8JsonReader json, JsonTokenType type, string what)
    {
        Next(ref json);
        if (json.TokenType != type)
        {
            throw new FormatException($"The marker has {json.TokenType} where {what} should be ({type}).");
        }
    }

    private static void Next(ref Utf8JsonReader json)
    {
        if (!json.Read())
        {
            throw new FormatException("The marker ends early.");
        }
    }

    private static void Once(object? seen, string member)
    {
        if (seen is not null)
        {
            throw new FormatException($"The marker has \"{member}\" twice.");
        }
    }
}
