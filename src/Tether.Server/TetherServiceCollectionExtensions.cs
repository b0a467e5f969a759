using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tether.Mutators;
using Tether.Server.Extensibility;
using Tether.Server.Internal;
using Tether.Server.Internal.Auth;
using Tether.Server.Internal.Endpoints;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.Server;

/// <summary>Adds the Tether server to a host's services.</summary>
public static class TetherServiceCollectionExtensions
{
    /// <summary>Adds the Tether server: mutation pipeline, log tailer and fan-out, authentication schemes and the
    /// endpoints' services. Add mutators, a group resolver, a write policy and a store on the returned builder.</summary>
    public static ITetherServerBuilder AddTether(this IServiceCollection services, Action<TetherServerOptions>? configure = null)
    {
        OptionsBuilder<TetherServerOptions> options = services.AddOptions<TetherServerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TetherServerOptions>, NoDevelopmentTokensInProduction>());
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddMetrics();
        services.TryAddSingleton<TetherMetrics>();
        services.TryAddSingleton<ISyncGroupResolver, UserGroupResolver>();
        services.TryAddSingleton<IWritePolicy, DenyAllWritePolicy>();
        services.TryAddSingleton(sp => new MutatorRegistry(
            sp.GetServices<IMutator>().Append(new ChangesMutator(sp.GetRequiredService<IWritePolicy>(), sp.GetRequiredService<IOptions<TetherServerOptions>>().Value.Limits))));
        services.TryAddSingleton<GroupResolution>();
        services.TryAddSingleton<CommitSignal>();
        services.TryAddSingleton<ITetherCommitSignal>(sp => sp.GetRequiredService<CommitSignal>());
        services.TryAddSingleton<FanoutHub>();
        services.TryAddSingleton<ITetherLogFeed>(sp => sp.GetRequiredService<FanoutHub>());
        services.TryAddSingleton<TetherJson>();
        services.TryAddSingleton<RequestGuard>();
        services.TryAddSingleton<UserConnections>();
        services.TryAddSingleton<UnhandledErrorGuard>();
        services.TryAddSingleton<ITetherRequestGuard, TetherRequestGuard>();
        services.TryAddSingleton<LogTailer>();
        services.TryAddSingleton<WriterQueue>();
        services.TryAddSingleton<WriterGroupCache>();
        services.TryAddSingleton<MutationPipeline>();
        services.TryAddSingleton<ITetherWriter>(sp => sp.GetRequiredService<MutationPipeline>());
        // Order matters: the store is migrated, then the tailer takes its start position, then pushes are taken.
        services.AddHostedService<TetherInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<LogTailer>());
        services.AddHostedService(sp => sp.GetRequiredService<MutationPipeline>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LogRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<LogRetention>());
        services.TryAddSingleton<PushEndpoint>();
        services.TryAddSingleton<BootstrapEndpoint>();
        services.TryAddSingleton<DeltaEndpoint>();
        services.TryAddSingleton<LiveEndpoint>();
        services.TryAddSingleton<EventsEndpoint>();
        services.TryAddSingleton<AdminEndpoint>();

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, DevelopmentTokenHandler>(TetherAuthSchemes.Development, _ => { })
            .AddJwtBearer(TetherAuthSchemes.Jwt);
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddHealthChecks().AddCheck<TetherHealthCheck>("tether");
        return new TetherServerBuilder(services);
    }

    private sealed class TetherServerBuilder(IServiceCollection services) : ITetherServerBuilder
    {
        public IServiceCollection Services => services;
    }
}
