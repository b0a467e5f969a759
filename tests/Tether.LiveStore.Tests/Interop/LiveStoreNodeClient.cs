using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Tests.Interop;

namespace Tether.LiveStore.Tests.Interop;

/// <summary>
/// One real LiveStore 0.4.0 store (<c>@livestore/adapter-node</c> with the <c>@livestore/sync-cf</c> WebSocket or HTTP
/// transport) in its own Node process, running <c>tests/interop/livestore/client.mjs</c> and driven over JSON lines on
/// its stdin and stdout. Several of them against one server are several independent LiveStore clients, each with its
/// own clientId and data directory.
/// </summary>
/// <remarks>
/// Needs <c>node</c> (20 or newer) on PATH and <c>npm install --no-audit --no-fund</c> run in
/// <c>tests/interop/livestore</c>; see <see cref="RequireHarness"/>. Event ids committed by <see cref="CommitAsync"/>
/// are <c>{prefix}-{i:D6}</c> for i from 0, so they sort in commit order.
/// </remarks>
public sealed class LiveStoreNodeClient : IAsyncDisposable
{
    private const string Harness = "livestore";

    public const string WebSocketTransport = "ws";
    public const string HttpTransport = "http";

    /// <summary>How long a command may take beyond any wait it asks for itself: a cold Node start and several clients
    /// on a 2-core machine make single seconds too tight.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TaskCompletionSource<string> _shutdownEvent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NodeLineProcess _node = null!;

    private LiveStoreNodeClient(string storeId, string clientId, string transport, string dataDirectory)
    {
        StoreId = storeId;
        ClientId = clientId;
        Transport = transport;
        DataDirectory = dataDirectory;
    }

    public string StoreId { get; }
    public string ClientId { get; }
    public string Transport { get; }
    public string DataDirectory { get; }

    /// <summary>
    /// Completes with the reason when the store shuts itself down, e.g. <c>backend-id-mismatch</c> after the server's
    /// backendId changed (the local data is then already wiped, and a new process on the same directory syncs afresh),
    /// or <c>error: MaterializeError: …</c>. Faults if the process ends first.
    /// </summary>
    public Task<string> ShutdownEvent => _shutdownEvent.Task;

    /// <summary>
    /// Skips the calling test when Node or the harness's packages are missing, or fails it when
    /// <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes there by skipping.
    /// </summary>
    public static void RequireHarness()
        => NodeLineProcess.RequireHarness(Harness, Path.Combine("@livestore", "livestore", "package.json"), "LiveStore interop tests");

    /// <summary>
    /// Starts a client process and waits for its store to exist. <paramref name="url"/> is the sync endpoint as
    /// <c>http://127.0.0.1:PORT/livestore</c> (no query: the client appends <c>?storeId=…&amp;payload=…&amp;transport=…</c>);
    /// for <c>ws</c> the client connects to the same address as <c>ws://</c>. <paramref name="token"/> is sent as the
    /// sync payload <c>{"authToken": token}</c>; null sends none. <paramref name="pushBatch"/> caps the events the
    /// store hands its leader per write (LiveStore's <c>leaderPushBatchSize</c>, 100 by default); the leader's own
    /// pushes to the server stay at most 50 events, which adapter-node 0.4.0 does not let a caller change.
    /// </summary>
    public static async Task<LiveStoreNodeClient> StartAsync(
        Uri url,
        string transport,
        string storeId,
        string clientId,
        string dataDirectory,
        string? token,
        int? pushBatch = null,
        TimeSpan? readyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (transport is not (WebSocketTransport or HttpTransport))
        {
            throw new ArgumentException($"transport must be \"{WebSocketTransport}\" or \"{HttpTransport}\", not \"{transport}\".", nameof(transport));
        }

        RequireHarness();
        Directory.CreateDirectory(dataDirectory);

        // Node 20 has no global WebSocket; the HTTP transport instead needs Node's own fetch used once before LiveStore
        // loads undici 7 (reference §2.6, §5.2).
        List<string> arguments =
        [
            "--import", transport == WebSocketTransport ? "./ws-preload.mjs" : "./warm.mjs", "client.mjs",
            "--url", url.AbsoluteUri,
            "--transport", transport,
            "--store", storeId,
            "--client", clientId,
            "--dir", Path.GetFullPath(dataDirectory),
        ];
        if (token is not null)
        {
            arguments.AddRange(["--token", token]);
        }

        if (pushBatch is { } batch)
        {
            arguments.AddRange(["--push-batch", batch.ToString(CultureInfo.InvariantCulture)]);
        }

        var client = new LiveStoreNodeClient(storeId, clientId, transport, dataDirectory);
        client._node = await NodeLineProcess.StartAsync(
            Harness,
            arguments,
            new Dictionary<string, string> { ["LIVESTORE_WARM_URL"] = url.GetLeftPart(UriPartial.Authority) + "/" },
            client.Describe(),
            clientId,
            client.OnEvent,
            client.OnFailure,
            readyTimeout ?? DefaultReadyTimeout);
        return client;
    }

    /// <summary>Commits <paramref name="count"/> <c>v1.TodoCreated</c> events in <c>store.commit</c> calls of
    /// <paramref name="batch"/> events each, and returns once the store's leader has persisted them (not once the
    /// server has them). Returns the ids committed.</summary>
    public async Task<IReadOnlyList<string>> CommitAsync(string prefix, int count, int batch = 1)
    {
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "commit", ["prefix"] = prefix, ["count"] = count, ["batch"] = batch },
            DefaultCommandTimeout);
        EnsureOk(answer, "commit");
        return answer.GetProperty("ids").Deserialize<List<string>>(Json)
            ?? throw new InvalidOperationException($"{Describe()} answered commit without ids.");
    }

    /// <summary>The store's todos, ordered by id (ordinal).</summary>
    public async Task<IReadOnlyList<LiveStoreRow>> RowsAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "rows" }, DefaultCommandTimeout);
        EnsureOk(answer, "rows");
        return ReadRows(answer);
    }

    /// <summary>Waits until the store holds at least <paramref name="count"/> todos and returns them; throws a
    /// <see cref="TimeoutException"/> that lists what it had when <paramref name="timeout"/> passes first.</summary>
    public async Task<IReadOnlyList<LiveStoreRow>> WaitForAsync(int count, TimeSpan timeout)
    {
        LiveStoreWaitResult result = await TryWaitForAsync(count, timeout);
        if (!result.Reached)
        {
            throw new TimeoutException(
                $"{Describe()} had {result.Rows.Count} of {count} todos after {timeout.TotalSeconds:0.###} s " +
                $"(first ids: {string.Join(", ", result.Rows.Take(5).Select(r => r.Id))}).{StderrSection()}");
        }

        return result.Rows;
    }

    /// <summary>Like <see cref="WaitForAsync"/>, but a timeout is a result (with the rows at that moment), not an
    /// exception: for tests that expect a count never to be reached.</summary>
    public async Task<LiveStoreWaitResult> TryWaitForAsync(int count, TimeSpan timeout)
    {
        long timeoutMs = (long)Math.Ceiling(timeout.TotalMilliseconds);
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "waitFor", ["count"] = count, ["timeoutMs"] = timeoutMs },
            timeout + DefaultCommandTimeout);
        if (!IsOk(answer) && ErrorOf(answer) == "timeout")
        {
            return new LiveStoreWaitResult(false, ReadRows(answer));
        }

        EnsureOk(answer, "waitFor");
        return new LiveStoreWaitResult(true, ReadRows(answer));
    }

    /// <summary>Shuts the store down cleanly (its files stay consistent for a later process on the same directory) and
    /// waits for the process to exit with 0.</summary>
    public async Task ShutdownAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "shutdown" }, DefaultCommandTimeout);
        EnsureOk(answer, "shutdown");
        await _node.WaitForCleanExitAsync("shutdown");
    }

    /// <summary>Kills the process and everything it started; a store that should keep its data intact is shut down
    /// with <see cref="ShutdownAsync"/> first.</summary>
    public ValueTask DisposeAsync() => _node.DisposeAsync();

    private Task<JsonElement> SendAsync(JsonObject command, TimeSpan timeout) => _node.SendAsync(command, timeout);

    private bool OnEvent(string name, JsonElement message)
    {
        if (name != "shutdown")
        {
            return false;
        }

        _shutdownEvent.TrySetResult(message.TryGetProperty("reason", out JsonElement reason) ? reason.GetString() ?? "" : "");
        return true;
    }

    private void OnFailure(Exception error)
    {
        // Marked observed (by reading Exception) so a test that never awaits it does not get unobserved-task noise.
        if (_shutdownEvent.TrySetException(error))
        {
            _ = _shutdownEvent.Task.Exception;
        }
    }

    private string Describe() => $"LiveStore client {ClientId} (store {StoreId}, {Transport})";

    private string StderrSection() => _node.StderrSection();

    private void EnsureOk(JsonElement answer, string command)
    {
        if (!IsOk(answer))
        {
            throw new InvalidOperationException($"{Describe()} failed \"{command}\": {ErrorOf(answer)}{StderrSection()}");
        }
    }

    private static bool IsOk(JsonElement answer) => NodeLineProcess.IsOk(answer);

    private static string ErrorOf(JsonElement answer) => NodeLineProcess.ErrorOf(answer);

    private static List<LiveStoreRow> ReadRows(JsonElement answer)
        => answer.TryGetProperty("rows", out JsonElement rows)
            ? rows.Deserialize<List<LiveStoreRow>>(Json) ?? []
            : [];
}

/// <summary>One row of the harness schema's <c>todos</c> table.</summary>
public sealed record LiveStoreRow(string Id, string Text);

/// <summary>The rows when a wait ended, and whether the count was reached.</summary>
public sealed record LiveStoreWaitResult(bool Reached, IReadOnlyList<LiveStoreRow> Rows);
