using System.Text;
using System.Text.Json.Nodes;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>A valid request of an endpoint, which <see cref="RequestFuzz"/> spoils. Query values are plain text
/// (escaped when sent); the body is JSON.</summary>
internal sealed record HttpTemplate(string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Query, IReadOnlyList<KeyValuePair<string, string>> Headers, JsonNode? Body)
{
    public string ContentType { get; init; } = "application/json";
}

/// <summary>One request as sent: the query already escaped (a bad one on purpose, maybe), the body as bytes.</summary>
internal sealed record FuzzRequest(string Strategy, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, string? ContentType)
{
    /// <summary>What a failure message shows: enough to rebuild the request, unprintable bytes as \xNN.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(Strategy).Append(": ").Append(Method).Append(' ').Append(Printable(Encoding.UTF8.GetBytes(PathAndQuery), 300));
        foreach ((string name, string value) in Headers)
        {
            text.Append(" | ").Append(name).Append(": ").Append(Printable(Encoding.UTF8.GetBytes(value), 120));
        }
        if (ContentType is not null)
        {
            text.Append(" | Content-Type: ").Append(ContentType);
        }
        if (Body is not null)
        {
            text.Append(" | body (").Append(Body.Length).Append(" bytes): ").Append(Printable(Body, 400));
        }
        return text.ToString();
    }

    public static string Printable(ReadOnlySpan<byte> bytes, int max)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, max)])
        {
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        }
        if (bytes.Length > max)
        {
            text.Append("…");
        }
        return text.ToString();
    }
}

/// <summary>Spoils a request's body (most often), its query, its headers or its method.</summary>
internal sealed class RequestFuzz(Random random)
{
    public const string CanaryHeader = "X-Tether-Canary";

    /// <summary>Sent in a header of every request; it must never come back (a page that lists request headers).</summary>
    public const string Canary = "canary-5e1f0c27-never-echo";

    private static readonly string[] BadQueryValues =
    [
        "", "-1", "abc", "9223372036854775808", "99999999999999999999", "1e3", "0x10", "+1", "%201", "1.5", "%00", "%FF", "%ED%A0%80",
        "%C0%AF", "%", "%%", "a%2", "%E2%82", "null", "[]", "%7B%7D", "-0", "1,2", "1%0A2", "%F4%90%80%80", "0", "1", "4294967296",
        "%D8%00", "user-other", "%22%5Cud800%22",
    ];

    private static readonly string[] BadTokens =
    [
        "", "Bearer", "Bearer ", "Bearer dev:", "Bearer dev:" + new string('a', 129), "Bearer dev:a b", "Bearer dev:\u007f", "Basic Zm9vOmJhcg==",
        "bearer dev:fuzzer", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6ZXIifQ.", "Bearer a.b.c", "Bearer ..", "Bearer dev:ü", "Bearer dev:\u00a0",
        "Bearer dev:fuzzer dev:fuzzer", "Bearer  dev:fuzzer", "Bearer " + new string('x', 8_000), "Bearer dev:%00", "Bearer dev:\u202e",
        "Bearer eyJ" + new string('A', 300) + ".e30.x",
    ];

    private static readonly string[] BadVersions = ["0", "2", "-1", "abc", "1.0", "99999999999", " 1", "١", "1\u0000"];

    private static readonly string[] BadContentTypes =
    [
        "text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "a/b/c",
        "application/json; charset=nonsense", "application/x-ndjson", ";;;", "application/json; charset=\"",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private readonly JsonFuzz _json = new(random);

    public FuzzRequest Mutate(HttpTemplate template)
    {
        var query = template.Query.Select(p => KeyValuePair.Create(Uri.EscapeDataString(p.Key), Uri.EscapeDataString(p.Value))).ToList();
        var headers = template.Headers.ToList();
        string method = template.Method;
        string? contentType = template.Body is null ? null : template.ContentType;
        byte[]? body = template.Body is null ? null : Encoding.UTF8.GetBytes(template.Body.ToJsonString());
        string strategy;
        int roll = random.Next(100);
        if (template.Body is not null && roll < 60)
        {
            (string name, byte[] bytes) = _json.Mutate(template.Body);
            strategy = "body:" + name;
            body = bytes;
        }
        else if (roll < 80 || template.Body is null && roll < 70)
        {
            strategy = "query:" + MutateQuery(query);
        }
        else if (roll < 96)
        {
            strategy = "headers:" + MutateHeaders(headers, ref contentType);
        }
        else
        {
            method = Methods[random.Next(Methods.Length)];
            strategy = "method:" + method;
        }
        headers.Add(KeyValuePair.Create(CanaryHeader, Canary));
        string pathAndQuery = template.Path + (query.Count == 0 ? "" : "?" + string.Join('&', query.Select(p => p.Key + "=" + p.Value)));
        return new FuzzRequest(strategy, method, pathAndQuery, headers, body, contentType);
    }

    /// <summary>The template as it is, its body padded with 2,000 spaces so that, sent at 50 B/s, it cannot arrive
    /// before the server's minimum data rate applies.</summary>
    public static FuzzRequest Slow(HttpTemplate template)
    {
        string pathAndQuery = template.Path + (template.Query.Count == 0 ? ""
            : "?" + string.Join('&', template.Query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
        byte[] body = [.. Encoding.UTF8.GetBytes(template.Body!.ToJsonString()), .. Enumerable.Repeat((byte)' ', 2_000)];
        return new FuzzRequest("slow-body (50 B/s)", template.Method, pathAndQuery, [.. template.Headers, KeyValuePair.Create(CanaryHeader, Canary)], body, template.ContentType);
    }

    private string MutateQuery(List<KeyValuePair<string, string>> query)
    {
        int index = query.Count == 0 ? -1 : random.Next(query.Count);
        string bad = BadQueryValues[random.Next(BadQueryValues.Length)];
        switch (index < 0 ? 4 : random.Next(6))
        {
            case 0:
                string dropped = query[index].Key;
                query.RemoveAt(index);
                return $"drop({dropped})";
            case 1 or 2:
                query[index] = KeyValuePair.Create(query[index].Key, bad);
                return $"value({query[index].Key})";
            case 3:
                query.Add(KeyValuePair.Create(query[index].Key, bad));
                return $"repeat({query[index].Key})";
            case 4:
                query.Add(KeyValuePair.Create(BadQueryValues[random.Next(BadQueryValues.Length)], bad));
                return "extra";
            default:
                query[index] = KeyValuePair.Create(query[index].Key, new string('9', random.Next(2) == 0 ? 30 : 10_000));
                return $"long({query[index].Key})";
        }
    }

    private string MutateHeaders(List<KeyValuePair<string, string>> headers, ref string? contentType)
    {
        switch (random.Next(8))
        {
            case 0 or 1:
                Replace(headers, "Authorization", BadTokens[random.Next(BadTokens.Length)]);
                return "token";
            case 2:
                headers.RemoveAll(h => h.Key == "Authorization");
                return "no-token";
            case 3:
                Replace(headers, random.Next(2) == 0 ? "Tether-Protocol" : "Tether-Schema", BadVersions[random.Next(BadVersions.Length)]);
                return "version";
            case 4:
                contentType = random.Next(4) == 0 ? null : BadContentTypes[random.Next(BadContentTypes.Length)];
                return "content-type";
            case 5:
                headers.Add(KeyValuePair.Create("Last-Event-ID", BadQueryValues[random.Next(BadQueryValues.Length)]));
                return "last-event-id";
            case 6:
                headers.Add(KeyValuePair.Create("Content-Encoding", random.Next(2) == 0 ? "gzip" : "br"));
                return "content-encoding";
            default:
                headers.Add(KeyValuePair.Create("X-Fuzz-Big", new string('h', random.Next(2) == 0 ? 4_000 : 40_000)));
                return "big-header";
        }
    }

    private static void Replace(List<KeyValuePair<string, string>> headers, string name, string value)
    {
        headers.RemoveAll(h => h.Key == name);
        headers.Add(KeyValuePair.Create(name, value));
    }
}
