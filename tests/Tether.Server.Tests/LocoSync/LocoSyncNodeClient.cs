using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Tests.Interop;

namespace Tether.Server.Tests.LocoSync;

/// <summary>
/// A Loco Sync-style client on the Tether network adapter (<c>clients/loco-sync</c>) in its own Node process, running
/// <c>tests/interop/loco-sync/client.mjs</c>: it calls the adapter's four methods as Loco Sync's client does and keeps
/// its data in memory, across <see cref="StopClientAsync"/> and <see cref="StartClientAsync"/> as Loco's storage would.
/// </summary>
/// <remarks>
/// Needs <c>node</c> (20 or newer), <c>npm install --no-audit --no-fund</c> in <c>clients/loco-sync</c> and in
/// <c>tests/interop/loco-sync</c>. The adapter is built from its sources (<c>npm run build</c>) once per test run, so
/// the tests never run a stale <c>dist/</c>.
/// </remarks>
public sealed class LocoSyncNodeClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private const string Harness = "loco-sync";
    private const string Tests = "Loco Sync adapter tests";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<Task> Build = new(BuildAdapterAsync);

    private readonly string _description;
    private NodeLineProcess _node = null!;

    private LocoSyncNodeClient(string description) => _description = description;

    private static string AdapterDirectory
        => Path.GetFullPath(Path.Combine(NodeLineProcess.HarnessDirectory(Harness), "..", "..", "..", "clients", "loco-sync"));

    /// <summary>Skips the calling test when Node or the npm packages are missing (fails it under
    /// <c>TETHER_REQUIRE_ALL=1</c>).</summary>
    public static void RequireHarness()
    {
        NodeLineProcess.RequireHarness(Harness, Path.Combine("ws", "package.json"), Tests);
        NodeLineProcess.Require(
            File.Exists(Path.Combine(AdapterDirectory, "node_modules", "typescript", "package.json"))
                ? null
                : $"The adapter's build tools are not installed: run `npm install --no-audit --no-fund` in {AdapterDirectory}.",
            Tests);
    }

    /// <summary>Starts a client process for <paramref name="userId"/> (token <c>dev:{userId}</c> unless
    /// <paramref name="token"/> is given) against the sync base <paramref name="syncBase"/>. The Loco client is not
    /// started yet: <see cref="StartClientAsync"/>. <paramref name="eagerModels"/> are the models of its eager
    /// bootstrap (<c>team</c> by default); <paramref name="transport"/> is what the adapter is given for its live
    /// sync.</summary>
    public static async Task<LocoSyncNodeClient> StartAsync(
        Uri syncBase, string userId, string clientId, string? token = null, IReadOnlyList<string>? eagerModels = null, LiveTransport transport = LiveTransport.WebSocket)
    {
        RequireHarness();
        await Build.Value;
        List<string> arguments = ["client.mjs", "--url", syncBase.ToString().TrimEnd('/'), "--user", userId, "--client-id", clientId];
        if (token is not null)
        {
            arguments.Add("--token=" + token);
        }

        if (eagerModels is not null)
        {
            arguments.Add("--eager=" + string.Join(',', eagerModels));
        }

        arguments.Add("--websocket=" + transport switch
        {
            LiveTransport.WebSocket => "open",
            LiveTransport.BlockedWebSocket => "blocked",
            _ => "none",
        });
        var client = new LocoSyncNodeClient($"Loco client {clientId} (user {userId}, {transport})");
        client._node = await NodeLineProcess.StartAsync(Harness, arguments, null, client._description, clientId, null, null, DefaultTimeout);
        return client;
    }

    /// <summary>Loco's <c>client.start()</c>: bootstraps when it has no data yet, then initSync. Returns its status
    /// (<c>running</c>, or <c>failed</c> when the eager bootstrap failed).</summary>
    public async Task<string> StartClientAsync()
        => (await CommandAsync(new JsonObject { ["cmd"] = "start" })).GetProperty("status").GetString()!;

    /// <summary>Loco's <c>client.stop()</c>: unsubscribes from the live stream; the data stays.</summary>
    public Task StopClientAsync() => CommandAsync(new JsonObject { ["cmd"] = "stop" });

    /// <summary>Loco's <c>addMutation</c>: local changes (an array) or <c>{ name, args }</c>. Returns the transaction id.</summary>
    public async Task<int> MutateAsync(object args)
        => (await CommandAsync(new JsonObject { ["cmd"] = "mutate", ["args"] = JsonSerializer.SerializeToNode(args, args.GetType(), Json) }))
            .GetProperty("txId").GetInt32();

    /// <summary>Waits until the client is caught up, runs no bootstrap and has no transaction queued or unreleased.</summary>
    public async Task<LocoStatus> SettleAsync(TimeSpan? timeout = null)
        => new(await CommandAsync(new JsonObject { ["cmd"] = "settle", ["timeoutMs"] = Milliseconds(timeout) }, timeout));

    /// <summary>Waits until the confirmed row <paramref name="model"/>/<paramref name="id"/> is there (or, with
    /// <paramref name="present"/> false, gone).</summary>
    public Task WaitForAsync(string model, string id, bool present = true, TimeSpan? timeout = null)
        => CommandAsync(new JsonObject { ["cmd"] = "waitFor", ["model"] = model, ["modelId"] = id, ["present"] = present, ["timeoutMs"] = Milliseconds(timeout) }, timeout);

    /// <summary>The rows of a model, ordered by id: confirmed by the server, and as the app shows them (with the
    /// optimistic changes of unreleased transactions).</summary>
    public async Task<(JsonElement[] Confirmed, JsonElement[] Optimistic)> RowsAsync(string model)
    {
        JsonElement answer = await CommandAsync(new JsonObject { ["cmd"] = "rows", ["model"] = model });
        return ([.. answer.GetProperty("confirmed").EnumerateArray()], [.. answer.GetProperty("optimistic").EnumerateArray()]);
    }

    public async Task<LocoStatus> StatusAsync() => new(await CommandAsync(new JsonObject { ["cmd"] = "status" }));

    /// <summary>Cuts every open connection, and sends new ones to a closed loopback port until <see cref="OnlineAsync"/>.</summary>
    public Task OfflineAsync() => CommandAsync(new JsonObject { ["cmd"] = "offline" });

    public Task OnlineAsync() => CommandAsync(new JsonObject { ["cmd"] = "online" });

    /// <summary>What the adapter's token function answers from now on.</summary>
    public Task SetTokenAsync(string token) => CommandAsync(new JsonObject { ["cmd"] = "setToken", ["token"] = token });

    /// <summary>Cuts the next bootstrap answer's end line off, as a connection lost right before it would.</summary>
    public Task CutNextBootstrapAsync() => CommandAsync(new JsonObject { ["cmd"] = "cutNextBootstrap" });

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    private async Task<JsonElement> CommandAsync(JsonObject command, TimeSpan? wait = null)
    {
        JsonElement answer = await _node.SendAsync(command, (wait ?? DefaultTimeout) + DefaultTimeout);
        if (!NodeLineProcess.IsOk(answer))
        {
            throw new InvalidOperationException(
                $"{_description} failed \"{command["cmd"]}\": {NodeLineProcess.ErrorOf(answer)}\n{answer}{_node.StderrSection()}");
        }

        return answer;
    }

    private static long Milliseconds(TimeSpan? timeout) => (long)(timeout ?? DefaultTimeout).TotalMilliseconds;

    private static async Task BuildAdapterAsync()
    {
        var info = new ProcessStartInfo("npm")
        {
            WorkingDirectory = AdapterDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("build");
        using Process npm = Process.Start(info) ?? throw new InvalidOperationException("npm did not start.");
        Task<string> output = npm.StandardOutput.ReadToEndAsync();
        Task<string> errors = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"`npm run build` in {AdapterDirectory} failed ({npm.ExitCode}):\n{await output}\n{await errors}");
        }
    }
}

/// <summary>What the adapter is given for live sync.</summary>
public enum LiveTransport
{
    /// <summary>The <c>ws</c> package's WebSocket class.</summary>
    WebSocket,

    /// <summary>No WebSocket class (as on Node 20): Server-Sent Events.</summary>
    ServerSentEvents,

    /// <summary>A WebSocket class whose connections never open (as behind a proxy without upgrades).</summary>
    BlockedWebSocket,
}

/// <summary>What a Loco-style client reports of itself (see <c>statusOf</c> in client.mjs).</summary>
public sealed record LocoStatus(JsonElement Json)
{
    public long LastSyncId => Json.GetProperty("lastSyncId").GetInt64();

    public bool Stalled => Json.GetProperty("stalled").GetBoolean();

    public int Disconnects => Json.GetProperty("disconnects").GetInt32();

    public int Committed => Json.GetProperty("committed").GetInt32();

    public int Retries => Json.GetProperty("retries").GetInt32();

    public int TokenCalls => Json.GetProperty("tokenCalls").GetInt32();

    public int ResyncRequired => Json.GetProperty("resyncRequired").GetInt32();

    public string[] Groups => [.. Json.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!)];

    public JsonElement[] Handshakes => [.. Json.GetProperty("handshakes").EnumerateArray()];

    public JsonElement[] Deltas => [.. Json.GetProperty("deltas").EnumerateArray()];

    public JsonElement[] Bootstraps => [.. Json.GetProperty("bootstraps").EnumerateArray()];

    public int[] RolledBack => [.. Json.GetProperty("rolledBack").EnumerateArray().Select(t => t.GetProperty("txId").GetInt32())];

    /// <summary>What the client found wrong in what the adapter gave it (fields of an action, models it did not ask
    /// for, an adapter method that threw).</summary>
    public string[] Errors => [.. Json.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)];

    public string[] AdapterLog => [.. Json.GetProperty("adapterLog").EnumerateArray().Select(e => e.GetString()!)];

    public override string ToString() => Json.ToString();
}
