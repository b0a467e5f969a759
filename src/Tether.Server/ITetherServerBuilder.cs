using Microsoft.Extensions.DependencyInjection;

namespace Tether.Server;

/// <summary>Returned by <c>AddTether</c> to add mutators, the group resolver, the write policy and a store.</summary>
public interface ITetherServerBuilder
{
    IServiceCollection Services { get; }
}
