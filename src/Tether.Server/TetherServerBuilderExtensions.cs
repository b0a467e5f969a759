using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tether.Mutators;

namespace Tether.Server;

/// <summary>Configures what <c>AddTether</c> added: the app's mutators, its group resolver and its write policy.</summary>
public static class TetherServerBuilderExtensions
{
    /// <summary>Adds mutators the server runs by name (typically the app's shared list, e.g. <c>AppMutators.All</c>).</summary>
    public static ITetherServerBuilder AddMutators(this ITetherServerBuilder builder, IEnumerable<IMutator> mutators)
    {
        foreach (IMutator mutator in mutators)
        {
            builder.Services.AddSingleton(mutator);
        }
        return builder;
    }

    /// <summary>Sets who may read which sync groups.</summary>
    public static ITetherServerBuilder UseSyncGroupResolver<TResolver>(this ITetherServerBuilder builder)
        where TResolver : class, ISyncGroupResolver
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<ISyncGroupResolver, TResolver>());
        return builder;
    }

    /// <summary>Sets what the built-in <c>changes</c> mutator may do.</summary>
    public static ITetherServerBuilder UseWritePolicy<TPolicy>(this ITetherServerBuilder builder)
        where TPolicy : class, IWritePolicy
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<IWritePolicy, TPolicy>());
        return builder;
    }
}
