using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tether.Server.Tests.LocoSync;

/// <summary>
/// A server on loopback Kestrel that answers Tether's sync paths with status 200 and bodies that break the protocol:
/// an eager bootstrap that is well formed (so a client gets as far as its live stream), and then a lazy bootstrap
/// whose row has no id, a live stream whose second frame has an action of no known kind, a delta whose
/// <c>sync</c> is no list, and a push answered with text that is not JSON. It counts the requests of each path.
/// </summary>
internal sealed class MalformedSyncServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private MalformedSyncServer(WebApplication app) => _app = app;

    public Uri SyncBase { get; private set; } = null!;

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    public static async Task<MalformedSyncServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var server = new MalformedSyncServer(app);
        app.Run(server.AnswerAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.SyncBase = new Uri($"{address}/sync");
        return server;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        _requests.AddOrUpdate(path, 1, (_, count) => count + 1);
        switch (path)
        {
            case "/sync/bootstrap":
                string request = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
                context.Response.ContentType = "application/x-ndjson";
                await context.Response.WriteAsync(
                    request.Contains("\"lazy\"", StringComparison.Ordinal)
                        ? """{"type":"start","firstSyncId":7,"syncGroups":["team:t1"]}""" + "\n"
                          + """{"type":"rows","modelName":"issue","rows":[{"title":"no id"}]}""" + "\n"
                          + """{"type":"end","rowCount":1}""" + "\n"
                        : """{"type":"start","firstSyncId":7,"syncGroups":["team:t1"]}""" + "\n" + """{"type":"end","rowCount":0}""" + "\n",
                    context.RequestAborted);
                break;
            case "/sync/events":
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(
                    "data: " + """{"type":"handshake","lastSyncId":9,"syncGroups":["team:t1"]}""" + "\n\n"
                    + "data: " + """{"type":"sync","lastSyncId":10,"sync":[{"syncId":10,"modelName":"issue","modelId":"i1","action":"upsert","data":{"id":"i1"}}]}""" + "\n\n",
                    context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                try
                {
                    // Held open: the client is the one that must drop this stream.
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    // The client dropped it, as it should.
                }
                break;
            case "/sync/delta":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"sync":"none","lastSyncId":9,"hasMore":false}""", context.RequestAborted);
                break;
            case "/sync/push":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("Service temporarily unavailable", context.RequestAborted);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
