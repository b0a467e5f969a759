using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore.Internal;
using Tether.Server;
using Tether.Server.Extensibility;

namespace Tether.LiveStore;

/// <summary>Adds and maps the LiveStore front end.</summary>
public static class LiveStoreExtensions
{
    /// <summary>Adds the LiveStore sync provider on this Tether server's storage, log and fan-out.</summary>
    public static ITetherServerBuilder AddLiveStore(this ITetherServerBuilder builder, Action<LiveStoreOptions>? configure = null)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<LiveStoreOptions>().Configure(options => configure?.Invoke(options));
        services.AddSingleton<LiveStoreMetrics>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<Admissions>();
        services.AddSingleton<RpcHandler>();
        services.AddSingleton<LiveStoreEndpoint>();
        services.AddSingleton(provider => new LiveStoreAdmin(provider.GetRequiredService<EventLog>()));
        services.AddSingleton<LiveStoreAdminEndpoint>();
        return builder;
    }

    /// <summary>Serves LiveStore clients (<c>makeWsSync</c> and <c>makeHttpSync</c> of <c>@livestore/sync-cf</c>
    /// 0.4) at <paramref name="pattern"/>: point their <c>url</c> here.</summary>
    public static IEndpointConventionBuilder MapLiveStore(this IEndpointRouteBuilder endpoints, string pattern = "/livestore")
    {
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }
        LiveStoreEndpoint endpoint = endpoints.ServiceProvider.GetRequiredService<LiveStoreEndpoint>();
        ITetherRequestGuard errors = endpoints.ServiceProvider.GetRequiredService<ITetherRequestGuard>();
        return endpoints.MapMethods(pattern, ["GET", "POST"], errors.HandleErrors(endpoint.HandleAsync));
    }

    /// <summary>Serves the admin operations at <paramref name="pattern"/>: <c>GET {pattern}/stores</c> lists the
    /// stores and <c>POST {pattern}/reset?storeId=…</c> resets one (its events deleted, a new backendId; connected
    /// clients wipe their copy and start again). Callers send a Tether bearer token, and
    /// <see cref="LiveStoreOptions.AuthorizeAdmin"/> must admit their user.</summary>
    public static RouteGroupBuilder MapLiveStoreAdmin(this IEndpointRouteBuilder endpoints, string pattern = "/livestore/admin")
    {
        LiveStoreAdminEndpoint endpoint = endpoints.ServiceProvider.GetRequiredService<LiveStoreAdminEndpoint>();
        ITetherRequestGuard errors = endpoints.ServiceProvider.GetRequiredService<ITetherRequestGuard>();
        RouteGroupBuilder group = endpoints.MapGroup(pattern);
        group.MapGet("/stores", errors.HandleErrors(endpoint.ListAsync));
        group.MapPost("/reset", errors.HandleErrors(endpoint.ResetAsync));
        return group;
    }
}
