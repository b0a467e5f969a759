using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>Who a connection is and whether it may use its store; a refused one still gets answers (each request
/// fails with the reason), because a refused WebSocket upgrade is retried by the client for ever without a word.</summary>
internal sealed record Admission(string StoreId, string? UserId, string? Refusal);

/// <summary>Reads <c>storeId</c> and the double-encoded <c>payload</c> of the query and asks the host.</summary>
internal sealed class Admissions(ITetherRequestGuard guard, IOptions<LiveStoreOptions> options)
{
    public async Task<Admission?> AdmitAsync(HttpContext http)
    {
        string? storeId = http.Request.Query["storeId"];
        if (string.IsNullOrEmpty(storeId) || !WellFormed.IsText(storeId))
        {
            return null;
        }
        if (!TryReadPayload(http.Request.Query["payload"], out JsonElement? payload))
        {
            return new Admission(storeId, null, "The payload query parameter is not well-formed JSON.");
        }
        string? userId = null;
        if (payload is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty("authToken", out JsonElement token) && token.ValueKind == JsonValueKind.String)
        {
            userId = await guard.AuthenticateTokenAsync(http, token.GetString()!).ConfigureAwait(false);
        }
        bool allowed = await options.Value.Authorize(new LiveStoreAccessContext(storeId, userId, payload, http)).ConfigureAwait(false);
        string? refusal = allowed ? null
            : userId is null ? "A valid authToken is required in the store's syncPayload."
            : $"User '{userId}' may not use store '{storeId}'.";
        return new Admission(storeId, userId, refusal);
    }

    /// <summary>The client encodes the payload's JSON with encodeURIComponent and the query encodes that again;
    /// the query reader undid the second, this undoes the first. The payload goes to the host's
    /// <see cref="LiveStoreOptions.Authorize"/>, so it is checked like any JSON from a client.</summary>
    private static bool TryReadPayload(string? raw, out JsonElement? payload)
    {
        payload = null;
        if (string.IsNullOrEmpty(raw))
        {
            return true;
        }
        string text = Uri.UnescapeDataString(raw);
        byte[] json = Encoding.UTF8.GetBytes(text);
        if (!WellFormed.IsText(text) || WellFormed.JsonProblem(json, RpcMessage.MaxDepth) is not null)
        {
            return false;
        }
        using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = RpcMessage.MaxDepth });
        payload = document.RootElement.Clone();
        return true;
    }
}
