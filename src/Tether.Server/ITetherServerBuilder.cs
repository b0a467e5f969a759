using Microsoft.Extensions.DependencyInjection;

namespace Tether.Server;

/// <summary>Returned by <c>AddTether</c> to add mutators, the group resolver, the write policy and a store.</summary>
public interface ITetherServerBuilder
{
    /// <summary>The host's services, for extensions that add to Tether (a store, a front end).</summary>
    IServiceCollection Services { get; }
}
