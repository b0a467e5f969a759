using IssueTracker.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Server;

namespace Tether.Bench;

/// <summary>The issue tracker server on loopback Kestrel, its records in Tether's built-in store on a fresh SQLite file
/// (synchronous=FULL), no per-user limits.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a node on SQLite at <paramref name="dataPath"/>, or on PostgreSQL when
    /// <paramref name="postgres"/> is given (several nodes may share one database), with
    /// <paramref name="postgresWriters"/> write transactions at once if given (the sample's
    /// <c>Tether:PostgreSql:Writers</c>). <paramref name="extend"/> adds to the sample's Tether (bench-only mutators),
    /// <paramref name="map"/> to its endpoints.</summary>
    public static async Task<LoopbackServer> StartAsync(
        string dataPath,
        string? postgres = null,
        Action<TetherServerOptions>? configure = null,
        int? postgresWriters = null,
        Action<ITetherServerBuilder>? extend = null,
        Action<WebApplication>? map = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" }); // development tokens are refused in Production
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["data"] = dataPath;
        // The scenarios of this server measure Tether's built-in store (their floors read its tables); the sample's
        // own EF Core tables are measured against it by the ef-* scenarios' app.
        builder.Configuration["store"] = "json";
        if (postgres is not null)
        {
            builder.Configuration["storage"] = "postgres";
            builder.Configuration["connection"] = postgres;
            if (postgresWriters is { } writers)
            {
                builder.Configuration["Tether:PostgreSql:Writers"] = writers.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        ITetherServerBuilder tether = builder.AddIssueTracker(options =>
        {
            options.DevelopmentTokens = true;
            options.Limits.RequestsPerSecond = 0;
            options.Limits.MaxConnectionsPerUser = 0;
            configure?.Invoke(options);
        });
        extend?.Invoke(tether);
        WebApplication app = builder.Build();
        app.MapIssueTrackerSync();
        map?.Invoke(app);
        // The floor for WebSocket figures: a bare echo through the same Kestrel, no parsing, no storage.
        app.Map("/echo", async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            byte[] buffer = new byte[64 * 1024];
            while (true)
            {
                System.Net.WebSockets.WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", context.RequestAborted);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        });
        // The floors for idle connections: a bare WebSocket that waits for a message without a buffer, and a bare
        // event stream that waits for the client to leave.
        app.Map("/floor/ws", async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.ReceiveAsync(Memory<byte>.Empty, context.RequestAborted);
        });
        app.Map("/floor/sse", async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.WriteAsync(": open\n\n"u8.ToArray(), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await app.StartAsync();
        return new LoopbackServer(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
