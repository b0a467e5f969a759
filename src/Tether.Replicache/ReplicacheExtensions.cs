using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tether.Replicache.Internal;
using Tether.Server;
using Tether.Server.Extensibility;

namespace Tether.Replicache;

public static class ReplicacheExtensions
{
    /// <summary>Serves Replicache clients (push/pull protocol v1) from this Tether server's mutators, log and groups.</summary>
    public static ITetherServerBuilder AddReplicache(this ITetherServerBuilder builder)
    {
        builder.Services.AddSingleton<ReplicachePush>();
        builder.Services.AddSingleton<ReplicachePull>();
        builder.Services.AddSingleton<ReplicachePoke>();
        return builder;
    }

    /// <summary>Maps <c>POST {prefix}/push</c> and <c>POST {prefix}/pull</c> (the client's <c>pushURL</c> and
    /// <c>pullURL</c>; keys are <c>&lt;modelName&gt;/&lt;modelId&gt;</c>) and <c>GET {prefix}/poke?clientGroupID=…</c>,
    /// Server-Sent Events that say when to pull.</summary>
    public static RouteGroupBuilder MapReplicache(this IEndpointRouteBuilder endpoints, string prefix = "/replicache")
    {
        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        ReplicachePush push = endpoints.ServiceProvider.GetRequiredService<ReplicachePush>();
        ReplicachePull pull = endpoints.ServiceProvider.GetRequiredService<ReplicachePull>();
        ITetherRequestGuard guard = endpoints.ServiceProvider.GetRequiredService<ITetherRequestGuard>();
        group.MapPost("/push", guard.HandleErrors(push.HandleAsync));
        group.MapPost("/pull", guard.HandleErrors(pull.HandleAsync));
        group.MapGet("/poke", guard.HandleErrors(endpoints.ServiceProvider.GetRequiredService<ReplicachePoke>().HandleAsync));
        return group;
    }
}
