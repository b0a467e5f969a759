using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>Runs first at startup: migrates the store and says what the authentication settings mean.</summary>
internal sealed partial class TetherInitializer(ITetherStore store, IOptions<TetherServerOptions> options, ILogger<TetherInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        TetherServerOptions settings = options.Value;
        if (settings.DevelopmentTokens)
        {
            LogDevelopmentTokens();
        }
        else if (settings.Jwt.Key is null)
        {
            LogNoAuthentication();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
