using System.Text.Json;
using Microsoft.Extensions.Options;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

/// <summary>The protocol's JSON metadata with the host's depth limit applied to everything read from clients.</summary>
internal sealed class TetherJson(IOptions<TetherServerOptions> options)
{
    public TetherJsonContext Context { get; } = new(new JsonSerializerOptions(TetherJsonContext.Default.Options)
    {
        MaxDepth = options.Value.Limits.MaxJsonDepth,
    });
}
