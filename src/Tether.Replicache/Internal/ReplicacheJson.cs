using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.Replicache.Internal;

[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class ReplicacheJsonContext : JsonSerializerContext;

/// <summary>Reading and writing Replicache's JSON, which is shaped by the client, not by Tether's protocol types.</summary>
internal static class ReplicacheJson
{
    public static ReplicacheJsonContext Context => ReplicacheJsonContext.Default;

    /// <summary>Reads a request body as an object, or says in a sentence of Tether's own what is wrong with it.</summary>
    public static bool TryParseObject(byte[] body, int maxDepth, out JsonObject? value, out string? error)
    {
        value = null;
        error = WellFormed.JsonProblem(body, maxDepth);
        if (error is not null)
        {
            return false;
        }
        value = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth }) as JsonObject;
        error = value is null ? "The body must be a JSON object." : null;
        return value is not null;
    }

    public static string? String(JsonObject node, string name)
        => node[name] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>The client's own error answer (HTTP 200, which is the only status it reads a body of) when the
    /// protocol or schema version is not one this server speaks.</summary>
    public static JsonObject? VersionProblem(JsonObject request, string versionField, string versionType, VersionRange supportedSchema)
    {
        if (request[versionField] is not JsonValue version || !version.TryGetValue(out int number) || number != 1)
        {
            return new JsonObject { ["error"] = "VersionNotSupported", ["versionType"] = versionType };
        }
        string? schema = String(request, "schemaVersion");
        if (string.IsNullOrEmpty(schema))
        {
            return null;
        }
        return int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out int schemaNumber) && supportedSchema.Contains(schemaNumber)
            ? null
            : new JsonObject { ["error"] = "VersionNotSupported", ["versionType"] = "schema" };
    }

    public static async Task WriteAsync(HttpContext http, JsonNode body)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, body, Context.JsonNode, http.RequestAborted).ConfigureAwait(false);
    }
}
