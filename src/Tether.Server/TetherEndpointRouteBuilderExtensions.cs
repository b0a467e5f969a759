using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tether.Server.Internal;
using Tether.Server.Internal.Endpoints;
using Tether.Server.Internal.Http;

namespace Tether.Server;

/// <summary>Maps Tether's own endpoints.</summary>
public static class TetherEndpointRouteBuilderExtensions
{
    /// <summary>Maps the protocol's endpoints under <paramref name="prefix"/>: bootstrap, delta, push, live
    /// (WebSocket), events (SSE), poll and health. Adds the WebSocket middleware when given the app itself.</summary>
    public static RouteGroupBuilder MapTether(this IEndpointRouteBuilder endpoints, string prefix = "/sync")
    {
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }
        IServiceProvider services = endpoints.ServiceProvider;
        TetherServerOptions options = services.GetRequiredService<IOptions<TetherServerOptions>>().Value;
        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        UnhandledErrorGuard errors = services.GetRequiredService<UnhandledErrorGuard>();
        PushEndpoint push = services.GetRequiredService<PushEndpoint>();
        BootstrapEndpoint bootstrap = services.GetRequiredService<BootstrapEndpoint>();
        DeltaEndpoint delta = services.GetRequiredService<DeltaEndpoint>();
        LiveEndpoint live = services.GetRequiredService<LiveEndpoint>();
        EventsEndpoint events = services.GetRequiredService<EventsEndpoint>();

        group.MapPost("/push", errors.Wrap(push.HandleAsync)).WithRequestSize(options);
        group.MapPost("/bootstrap", errors.Wrap(bootstrap.HandleAsync)).WithRequestSize(options);
        group.MapGet("/delta", errors.Wrap(delta.HandleDeltaAsync));
        group.MapGet("/poll", errors.Wrap(delta.HandlePollAsync));
        group.MapGet("/live", errors.Wrap(live.HandleAsync));
        group.MapGet("/events", errors.Wrap(events.HandleAsync));
        AdminEndpoint admin = services.GetRequiredService<AdminEndpoint>();
        group.MapGet("/admin/status", errors.Wrap(admin.StatusAsync));
        group.MapGet("/admin/log", errors.Wrap(admin.LogAsync));
        group.MapGet("/admin/clients", errors.Wrap(admin.ClientsAsync));
        group.MapGet("/admin/groups/{userId}", errors.Wrap(http => admin.GroupsAsync(http, (string)http.Request.RouteValues["userId"]!)));
        group.MapPost("/admin/compact", errors.Wrap(admin.CompactAsync));
        group.MapGet("/_inspector", errors.Wrap(InspectorPage.ServeAsync));
        endpoints.MapHealthChecks(prefix + "/health", new HealthCheckOptions { ResponseWriter = TetherHealthCheck.WriteAsync });
        return group;
    }

    /// <summary>Lets Kestrel's own body limit sit above Tether's, so Tether answers with its error shape.</summary>
    private static IEndpointConventionBuilder WithRequestSize(this IEndpointConventionBuilder builder, TetherServerOptions options)
        => builder.WithMetadata(new RequestSizeLimitMetadata(options.Limits.MaxBodyBytes + 1L));

    private sealed class RequestSizeLimitMetadata(long maxRequestBodySize) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => maxRequestBodySize;
    }
}
