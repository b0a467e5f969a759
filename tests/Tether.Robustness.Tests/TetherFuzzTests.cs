using System.Text.Json;
using Tether.Robustness.Tests.Fuzz;
using Tether.Robustness.Tests.Harness;

namespace Tether.Robustness.Tests;

/// <summary>Seeded bad input for every endpoint of Tether's own protocol: no 5xx, no internals, no echoed headers,
/// no other user's data, and afterwards a healthy host and an untouched legitimate user.</summary>
public sealed class TetherFuzzTests
{
    [Fact]
    public Task Bad_pushes_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("POST /sync/push", 1101, Templates.Push);

    [Fact]
    public Task Bad_eager_and_lazy_bootstraps_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("POST /sync/bootstrap", 1201, Templates.Bootstrap);

    [Fact]
    public Task Bad_deltas_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("GET /sync/delta", 1301, Templates.Delta);

    /// <summary>A poll that is still waiting after a second waits by design (a valid position at the head).</summary>
    [Fact]
    public Task Bad_long_polls_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("GET /sync/poll", 1401, Templates.Poll, pendingIsAnswer: TimeSpan.FromSeconds(1));

    [Fact]
    public Task Bad_event_streams_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("GET /sync/events", 1501, Templates.Events);

    [Fact]
    public Task Bad_admin_requests_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("/sync/admin", 1701, Templates.Admin);

    [Fact]
    public async Task Bad_live_upgrades_and_frames_are_refused_with_a_close_code_of_the_protocol()
    {
        await using FuzzHost host = await FuzzHost.StartAsync();
        FuzzReport report = await host.FuzzWebSocketAsync(
            "/sync/live", 1601, Templates.LiveUpgrade,
            $"/sync/live?clientId=fz-live-frames&access_token={Uri.EscapeDataString(Templates.Token)}", "tether.v1",
            Templates.LiveFrame,
            id => $$"""{"type":"push","requestId":"{{id}}","clientId":"fz-sentinel","mutations":[]}""", AnswersRequest("requestId"));
        await host.CheckUnharmedAsync(report);
        report.AssertClean();
    }

    /// <summary>Whether a frame answers the request whose id is in its <paramref name="property"/>.</summary>
    internal static Func<JsonElement, string, bool> AnswersRequest(string property)
        => (frame, id) => frame.ValueKind == JsonValueKind.Object && frame.TryGetProperty(property, out JsonElement value)
            && value.ValueKind == JsonValueKind.String && value.GetString() == id;
}
