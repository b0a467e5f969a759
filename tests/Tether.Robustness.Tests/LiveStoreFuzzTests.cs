using Tether.LiveStore.Tests.Harness;
using Tether.Robustness.Tests.Fuzz;
using Tether.Robustness.Tests.Harness;

namespace Tether.Robustness.Tests;

/// <summary>Seeded bad input for the LiveStore front end (HTTP, WebSocket, admin): no 5xx, no internals, no echoed
/// headers, sockets closed with a code of the protocol, and afterwards a healthy host and an untouched legitimate
/// user (whose private store is on the same server).</summary>
public sealed class LiveStoreFuzzTests
{
    [Fact]
    public Task Bad_http_requests_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("POST /livestore (http)", 2101, Templates.LiveStoreHttp);

    [Fact]
    public async Task Bad_upgrades_and_socket_messages_are_refused_with_a_close_code_of_the_protocol()
    {
        await using FuzzHost host = await FuzzHost.StartAsync();
        FuzzReport report = await host.FuzzWebSocketAsync(
            "/livestore (ws)", 2201, Templates.LiveStoreUpgrade,
            $"/livestore?storeId=fz-ws&payload={Uri.EscapeDataString(Templates.LiveStoreQueryPayload(Templates.Token))}&transport=ws", null,
            Templates.LiveStoreFrame,
            // A request the socket protocol does not know: answered at once with UnknownError, in the order received.
            id => WireClient.Request(id, "SyncWsRpc.Sentinel", new System.Text.Json.Nodes.JsonObject()).ToJsonString(),
            TetherFuzzTests.AnswersRequest("requestId"));
        await host.CheckUnharmedAsync(report);
        report.AssertClean();
    }

    [Fact]
    public Task Bad_admin_requests_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("/livestore/admin", 2301, Templates.LiveStoreAdmin);
}
