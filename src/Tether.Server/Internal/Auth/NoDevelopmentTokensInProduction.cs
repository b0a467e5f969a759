using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Tether.Server.Internal.Auth;

/// <summary>
/// Refuses to start a server in the Production environment with development tokens on: with them anyone can act as
/// any user, and an app deployed without ASPNETCORE_ENVIRONMENT runs as Production. A host without an environment
/// (no <see cref="IHostEnvironment"/>) is not judged.
/// </summary>
internal sealed class NoDevelopmentTokensInProduction(IServiceProvider services) : IValidateOptions<TetherServerOptions>
{
    public const string Refusal =
        "Tether:DevelopmentTokens is on in the Production environment, where anyone could then act as any user. " +
        "Turn it off and configure Tether:Jwt:Key (docs: README, \"To ship it\"), or run in Development " +
        "(ASPNETCORE_ENVIRONMENT=Development, as `dotnet run` does through launchSettings.json).";

    public ValidateOptionsResult Validate(string? name, TetherServerOptions options)
        => options.DevelopmentTokens && services.GetService<IHostEnvironment>() is { } environment && environment.IsProduction()
            ? ValidateOptionsResult.Fail(Refusal)
            : ValidateOptionsResult.Success;
}
