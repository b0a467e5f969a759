using System.Text.Json;
using Tether.TestHost;
using Tether.Client;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>Real TetherClients against a node, and waiting for conditions with a deadline.</summary>
internal static class Clients
{
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    public static Task<TetherClient> StartAsync(Uri node, string user) => TetherClient.StartAsync(new TetherClientOptions
    {
        ServerUrl = new Uri(node, "/sync/"),
        UserId = user,
        TokenProvider = _ => ValueTask.FromResult("dev:" + user),
        Mutators = TestMutators.All,
        MinRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    });

    public static Task<MutationHandle> Mutate(this TetherClient client, string name, object args)
        => client.MutateAsync(name, JsonSerializer.SerializeToElement(args));

    public static bool Has(this TetherClient client, string model, string id)
        => client.Get(model, id, JsonContext.Default.JsonElement).ValueKind == JsonValueKind.Object;

    /// <summary>The confirmed records as sorted text, to compare two clients' copies.</summary>
    public static string[] Snapshot(this TetherClient client)
        => [.. client.ConfirmedSnapshot().OrderBy(r => r.Key.Model, StringComparer.Ordinal).ThenBy(r => r.Key.Id, StringComparer.Ordinal).Select(r => $"{r.Key.Model}/{r.Key.Id}={r.Value.GetRawText()}")];

    public static Task EventuallyAsync(Func<bool> condition, string what) => Eventually.HoldsAsync(condition, what, Converge);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonElement))]
internal sealed partial class JsonContext : System.Text.Json.Serialization.JsonSerializerContext;
