using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>
/// The admin operations over HTTP: <c>GET …/stores</c> lists the stores, <c>POST …/reset?storeId=…</c> resets one.
/// The caller's bearer token is checked like any Tether request, then <see cref="LiveStoreOptions.AuthorizeAdmin"/>
/// decides (nobody, by default). Answers are JSON; refusals and failures use the protocol's error shape.
/// </summary>
internal sealed class LiveStoreAdminEndpoint(ITetherRequestGuard guard, LiveStoreAdmin admin, IOptions<LiveStoreOptions> options)
{
    public async Task ListAsync(HttpContext http)
    {
        if (!await AdmitAsync(http).ConfigureAwait(false))
        {
            return;
        }
        IReadOnlyList<LiveStoreInfo> stores = await admin.ListStoresAsync(http.RequestAborted).ConfigureAwait(false);
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WriteStartArray("stores");
            foreach (LiveStoreInfo store in stores)
            {
                WriteStore(writer, store);
            }
            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    public async Task ResetAsync(HttpContext http)
    {
        if (!await AdmitAsync(http).ConfigureAwait(false))
        {
            return;
        }
        string? storeId = http.Request.Query["storeId"];
        if (string.IsNullOrEmpty(storeId) || !WellFormed.IsText(storeId))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, "The storeId query parameter is required (well-formed text).")).ConfigureAwait(false);
            return;
        }
        if (await admin.TryResetStoreAsync(storeId, http.RequestAborted).ConfigureAwait(false) is not { } store)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; the reset was not made."), ErrorResults.RetryAfter).ConfigureAwait(false);
            return;
        }
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WritePropertyName("store");
            WriteStore(writer, store);
        }).ConfigureAwait(false);
    }

    private async Task<bool> AdmitAsync(HttpContext http)
    {
        if (await guard.AdmitAsync(http).ConfigureAwait(false) is not { } userId)
        {
            return false;
        }
        if (!await options.Value.AuthorizeAdmin(new LiveStoreAdminContext(userId, http)).ConfigureAwait(false))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Forbidden, $"User '{userId}' may not administer LiveStore stores.")).ConfigureAwait(false);
            return false;
        }
        return true;
    }

    private static void WriteStore(Utf8JsonWriter writer, LiveStoreInfo store)
    {
        writer.WriteStartObject();
        writer.WriteString("storeId", store.StoreId);
        writer.WriteString("backendId", store.BackendId);
        writer.WriteNumber("head", store.Head);
        writer.WriteEndObject();
    }
}
