using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tether.Replicache.Internal;
using Tether.Server;
using Tether.Server.Extensibility;

namespace Tether.Replicache;

/// <summary>Adds and maps the Replicache front end.</summary>
public static class ReplicacheExtensions
{
    /// <summary>Serves Replicache clients (push/pull protocol v1) from this Tether server's mutators, log and groups;
    /// <paramref name="configure"/> sets its limits.</summary>
    public static ITetherServerBuilder AddReplicache(this ITetherServerBuilder builder, Action<ReplicacheOptions>? configure = null)
    {
        OptionsBuilder<ReplicacheOptions> options = builder.Services.AddOptions<ReplicacheOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
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
