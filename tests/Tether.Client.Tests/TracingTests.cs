using System.Collections.Concurrent;
using System.Diagnostics;
using Tether.Server;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>One push followed through the spans of <see cref="TetherClientTelemetry"/> and <see cref="TetherTelemetry"/>:
/// the client's push, the server's push in the same trace, the commit linked to it, the fan-out linked to the commit,
/// and the delivery to another live client under the fan-out.</summary>
public sealed class TracingTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is TetherClientTelemetry.ActivitySourceName or TetherTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task A_push_is_one_trace_from_the_client_to_the_server_with_its_commit_fan_out_and_delivery_linked()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using (SyncApi api = server.Api("alice"))
        {
            await new Seed(api, "setup").TeamWithProjectAsync("t1", "p1");
        }
        await using TetherClient laptop = await ClientHarness.StartAsync(server, "alice");
        await using TetherClient phone = await ClientHarness.StartAsync(server, "alice");
        await ClientHarness.EventuallyAsync(() => phone.Status == ClientStatus.Live, "the phone is live");

        await ClientHarness.EventuallyAsync(() => laptop.Status == ClientStatus.Live, "the laptop is live");
        MutationHandle handle = await laptop.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Traced" });
        await handle.Confirmed.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await ClientHarness.EventuallyAsync(() => phone.Issue("i1") is not null, "the phone has the issue");

        Activity clientPush = await SpanAsync(a => a.OperationName == "tether.client.push" && Tag(a, "tether.client_id") == laptop.ClientId, "the client's push");
        Activity serverPush = await SpanAsync(a => a.OperationName == "tether.push" && Tag(a, "tether.client_id") == laptop.ClientId, "the server's push");
        Assert.Equal(clientPush.TraceId, serverPush.TraceId);
        Activity commit = await SpanAsync(a => a.OperationName == "tether.commit" && a.Links.Any(l => l.Context.SpanId == serverPush.SpanId), "the commit linked to the push");
        Activity fanout = await SpanAsync(a => a.OperationName == "tether.fanout" && a.Links.Any(l => l.Context.SpanId == commit.SpanId), "the fan-out linked to the commit");
        Activity delivery = await SpanAsync(a => a.OperationName == "tether.deliver" && a.ParentSpanId == fanout.SpanId, "a delivery under the fan-out");
        Assert.Equal(fanout.TraceId, delivery.TraceId);
    }

    private async Task<Activity> SpanAsync(Func<Activity, bool> matches, string what)
    {
        Activity? found = null;
        await ClientHarness.EventuallyAsync(() => (found = _stopped.FirstOrDefault(matches)) is not null, what + " was traced");
        return found!;
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    public void Dispose() => _listener.Dispose();
}
