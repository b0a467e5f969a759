using System.Text.Json;
using System.Text.Json.Serialization;
using Tether.TestHost;
using Tether.Client;
using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed record Issue(string Id, string ProjectId, string TeamId, string Title, string Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Issue[]))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>Starts real clients against a <see cref="TestServer"/>, and waits for conditions with a deadline.</summary>
internal static class ClientHarness
{
    public static Task<TetherClient> StartAsync(TestServer server, string userId, ILocalStore? store = null, Action<TetherClientOptions>? configure = null)
    {
        var options = new TetherClientOptions
        {
            ServerUrl = new Uri(server.BaseAddress, "/sync/"),
            UserId = userId,
            TokenProvider = _ => ValueTask.FromResult("dev:" + userId),
            Mutators = [.. TestMutators.All, new ServerRefusesMutator()],
            Store = store ?? new InMemoryLocalStore(),
            MinRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        return TetherClient.StartAsync(options);
    }

    public static TestServerSettings ServerSettings => new() { Builder = b => Tether.Server.TetherServerBuilderExtensions.AddMutators(b, [new ServerRefusesMutator()]) };

    public static Task<MutationHandle> MutateAsync(this TetherClient client, string name, object args)
        => client.MutateAsync(name, JsonSerializer.SerializeToElement(args));

    /// <summary>Waits until <paramref name="condition"/> holds, checking it after every change the client reports
    /// and at short intervals; fails with <paramref name="what"/> after the deadline.</summary>
    public static Task EventuallyAsync(Func<bool> condition, string what, int seconds = 20)
        => Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(seconds));

    public static Issue? Issue(this TetherClient client, string id) => client.Get("issue", id, TestJson.Default.Issue);
}

/// <summary>Applies locally, refused by the server: the shape of any mutation the server knows better about.</summary>
internal sealed class ServerRefusesMutator : IMutator
{
    public const string MutatorName = "serverRefuses";

    public string Name => MutatorName;

    public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        if (context.IsAuthoritative)
        {
            throw MutationRejectedException.Forbidden("The server says no.");
        }
        string id = args.GetProperty("id").GetString()!;
        return context.InsertAsync("issue", id, new System.Text.Json.Nodes.JsonObject { ["projectId"] = "p", ["teamId"] = "t", ["title"] = "doomed", ["status"] = "todo" }, ["team:t"], cancellationToken);
    }
}
