using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tether.Tests.Interop;

namespace Tether.Replicache.Tests.Interop;

/// <summary>
/// One real Replicache 15.3.0 instance (<c>kvStore: 'mem'</c>) in its own Node process, running
/// <c>tests/interop/replicache/client.mjs</c> and driven over JSON lines on its stdin and stdout. Each process is its own
/// client group with one client; several of them against one server are independent Replicache clients.
/// </summary>
/// <remarks>
/// Needs <c>node</c> (20 or newer) on PATH and <c>npm install --no-audit --no-fund</c> run in
/// <c>tests/interop/replicache</c>; see <see cref="RequireHarness"/>. The client pushes to
/// <c>{baseUrl}/replicache/push</c> and pulls from <c>{baseUrl}/replicache/pull</c> with the Authorization header
/// <c>Bearer dev:{userId}</c>. Its mutators are the optimistic halves of the test model's (createTeam, addMember,
/// removeMember, createProject, createIssue, updateIssue, deleteIssue, addComment) on keys
/// <c>&lt;modelName&gt;/&lt;modelId&gt;</c>. There is no periodic pull unless asked for: tests call
/// <see cref="SyncAsync"/>. Commands run one at a time in the client, in the order sent.
/// </remarks>
public sealed class ReplicacheNodeClient : IAsyncDisposable
{
    /// <summary>How long a command may take beyond any wait it asks for itself: a cold Node start and several clients
    /// on a 2-core machine make single seconds too tight.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultSyncTimeout = TimeSpan.FromSeconds(30);

    private const string Harness = "replicache";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private NodeLineProcess _node = null!;

    private ReplicacheNodeClient(string userId, string name)
    {
        UserId = userId;
        Name = name;
    }

    /// <summary>The user the client acts as (its Authorization header is <c>Bearer dev:{UserId}</c> unless overridden).</summary>
    public string UserId { get; }

    /// <summary>The Replicache <c>name</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Skips the calling test when Node or the harness's packages are missing, or fails it when
    /// <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes there by skipping.
    /// </summary>
    public static void RequireHarness()
        => NodeLineProcess.RequireHarness(Harness, Path.Combine("replicache", "package.json"), "Replicache interop tests");

    /// <summary>
    /// Starts a client process and waits for its Replicache instance to exist. <paramref name="baseUrl"/> is the
    /// server's address, e.g. <c>http://127.0.0.1:PORT</c> (the client appends <c>/replicache/push</c> and
    /// <c>/replicache/pull</c>). <paramref name="pullInterval"/> null means no periodic pull (Replicache's own default
    /// is 60 s); <paramref name="pushDelay"/> null means 0 (a push right after each mutation, one in flight at a time).
    /// <paramref name="auth"/> replaces the Authorization header <c>Bearer dev:{userId}</c> (e.g. "" to send none);
    /// <paramref name="schemaVersion"/> replaces the schema version "1".
    /// </summary>
    public static async Task<ReplicacheNodeClient> StartAsync(
        Uri baseUrl,
        string userId,
        string name,
        TimeSpan? pullInterval = null,
        TimeSpan? pushDelay = null,
        string? auth = null,
        string? schemaVersion = null,
        TimeSpan? readyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(name);
        RequireHarness();

        List<string> arguments =
        [
            "client.mjs",
            "--url", baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'),
            "--user", userId,
            "--name", name,
        ];
        if (pullInterval is { } interval)
        {
            arguments.AddRange(["--pull-interval-ms", Milliseconds(interval, nameof(pullInterval))]);
        }

        if (pushDelay is { } delay)
        {
            arguments.AddRange(["--push-delay-ms", Milliseconds(delay, nameof(pushDelay))]);
        }

        if (auth is not null)
        {
            // "--auth=" keeps an empty value a value (parseArgs would otherwise take the next flag for it).
            arguments.Add("--auth=" + auth);
        }

        if (schemaVersion is not null)
        {
            arguments.Add("--schema-version=" + schemaVersion);
        }

        var client = new ReplicacheNodeClient(userId, name);
        client._node = await NodeLineProcess.StartAsync(
            Harness, arguments, environment: null, client.Describe(), name, onEvent: null, onFailure: null, readyTimeout ?? DefaultReadyTimeout);
        return client;
    }

    /// <summary>Runs the mutator <paramref name="name"/> locally with <paramref name="args"/> (serialized with web
    /// defaults, so <c>new { id = "i1", projectId = "p1", title = "T" }</c> works); returns once the local mutation
    /// ran, not once the server has it. A local mutator that throws fails with a
    /// <see cref="ReplicacheCommandException"/>.</summary>
    public async Task MutateAsync(string name, object? args)
    {
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "mutate", ["name"] = name, ["args"] = ToNode(args) },
            DefaultCommandTimeout);
        EnsureOk(answer, "mutate " + name);
    }

    /// <summary>Runs the mutator <paramref name="name"/> once per element of <paramref name="argsList"/>, one after
    /// another, in one command. Fails at the first mutator that throws (the ones before it ran).</summary>
    public async Task MutateManyAsync(string name, IEnumerable<object?> argsList, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(argsList);
        var list = new JsonArray();
        foreach (object? args in argsList)
        {
            list.Add(ToNode(args));
        }

        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "mutateMany", ["name"] = name, ["argsList"] = list },
            timeout ?? DefaultCommandTimeout);
        EnsureOk(answer, "mutateMany " + name);
    }

    /// <summary>Pushes and pulls until no mutation is pending and the last pull was answered with 200 and taken by
    /// Replicache (at least one round, so the data of other clients is in afterwards); throws a
    /// <see cref="TimeoutException"/> with the client's recent errors when <paramref name="timeout"/> (30 s by
    /// default) passes first. It fails too when the client met any failure since the previous sync (a request
    /// without an answer, a non-200 answer, a response Replicache refused, also of the pushes Replicache sends by
    /// itself after each mutation) that matches none of <paramref name="expectedErrors"/>: retrying until nothing is
    /// pending would otherwise hide any error the server answered on the way.</summary>
    public async Task<ReplicacheSyncResult> SyncAsync(TimeSpan? timeout = null, IReadOnlyList<Regex>? expectedErrors = null)
    {
        ReplicacheSyncResult result = await TrySyncAsync(timeout);
        if (!result.Synced)
        {
            throw new TimeoutException(
                $"{Describe()} did not sync: {result.Error} (online: {(result.Online ? "yes" : "no")}); recent errors:\n  " +
                string.Join("\n  ", result.Errors) + StderrSection());
        }

        string[] unexpected = [.. result.Errors.Where(error => expectedErrors?.Any(expected => expected.IsMatch(error)) != true)];
        if (unexpected.Length > 0 || result.ErrorCount > result.Errors.Count)
        {
            throw new InvalidOperationException(
                $"{Describe()} synced, but met {result.ErrorCount} errors on the way" +
                (unexpected.Length == 0 ? $" (only the last {result.Errors.Count} are kept, so the others cannot be checked)" : "") +
                ":\n  " + string.Join("\n  ", unexpected.Length > 0 ? unexpected : result.Errors) + StderrSection());
        }

        return result;
    }

    /// <summary>Like <see cref="SyncAsync"/>, but not syncing in time is a result, not an exception: for tests that
    /// expect it (e.g. while the server is down).</summary>
    public async Task<ReplicacheSyncResult> TrySyncAsync(TimeSpan? timeout = null)
    {
        TimeSpan wait = timeout ?? DefaultSyncTimeout;
        long timeoutMs = (long)Math.Ceiling(wait.TotalMilliseconds);
        if (timeoutMs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be at least 1 ms.");
        }

        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "sync", ["timeoutMs"] = timeoutMs }, wait + DefaultCommandTimeout);
        bool synced = IsOk(answer);
        IReadOnlyList<string> errors = Errors(answer);
        return new ReplicacheSyncResult(
            synced,
            OptionalInt(answer, "pending") ?? -1,
            OptionalInt(answer, "rounds") ?? 0,
            answer.TryGetProperty("online", out JsonElement online) && online.ValueKind == JsonValueKind.True,
            errors,
            OptionalInt(answer, "errorCount") ?? errors.Count,
            synced ? null : ErrorOf(answer));
    }

    /// <summary>Every entry whose key starts with <paramref name="prefix"/> (all of them for ""), ordered by key
    /// (ordinal).</summary>
    public async Task<IReadOnlyList<(string Key, JsonElement Value)>> ScanAsync(string prefix = "")
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "scan", ["prefix"] = prefix }, DefaultCommandTimeout);
        EnsureOk(answer, "scan");
        var entries = new List<(string, JsonElement)>();
        foreach (JsonElement entry in answer.GetProperty("entries").EnumerateArray())
        {
            entries.Add((entry.GetProperty("key").GetString()!, entry.GetProperty("value").Clone()));
        }

        return entries;
    }

    /// <summary>How many local mutations the server has not confirmed yet (a pull confirms them).</summary>
    public async Task<int> PendingAsync() => (await PendingMutationsAsync()).Count;

    /// <summary>The local mutations the server has not confirmed yet, oldest first.</summary>
    public async Task<IReadOnlyList<ReplicachePendingMutation>> PendingMutationsAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "pending" }, DefaultCommandTimeout);
        EnsureOk(answer, "pending");
        return answer.GetProperty("mutations").Deserialize<List<ReplicachePendingMutation>>(Json) ?? [];
    }

    /// <summary>Kills the process and everything it started.</summary>
    public ValueTask DisposeAsync() => _node.DisposeAsync();

    private static string Milliseconds(TimeSpan value, string parameter)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(parameter, value, "Must not be negative.");
        }

        return ((long)Math.Round(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
    }

    private static JsonNode? ToNode(object? args)
        => args switch
        {
            null => null,
            JsonNode node => node.DeepClone(),
            _ => JsonSerializer.SerializeToNode(args, args.GetType(), Json),
        };

    private Task<JsonElement> SendAsync(JsonObject command, TimeSpan timeout) => _node.SendAsync(command, timeout);

    private string Describe() => $"Replicache client {Name} (user {UserId})";

    private string StderrSection() => _node.StderrSection();

    private void EnsureOk(JsonElement answer, string command)
    {
        if (!IsOk(answer))
        {
            IReadOnlyList<string> errors = Errors(answer);
            throw new ReplicacheCommandException(
                $"{Describe()} failed \"{command}\": {ErrorOf(answer)}" +
                (errors.Count == 0 ? "" : "; recent errors:\n  " + string.Join("\n  ", errors)) + StderrSection(),
                ErrorOf(answer),
                answer);
        }
    }

    private static bool IsOk(JsonElement answer) => NodeLineProcess.IsOk(answer);

    private static string ErrorOf(JsonElement answer) => NodeLineProcess.ErrorOf(answer);

    private static int? OptionalInt(JsonElement answer, string name)
        => answer.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    private static IReadOnlyList<string> Errors(JsonElement answer)
        => answer.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Array
            ? [.. errors.EnumerateArray().Select(e => e.ToString())]
            : [];
}

/// <summary>A command the client answered with <c>ok: false</c>, e.g. a local mutator that threw.
/// <see cref="ClientError"/> is the client's error text and <see cref="Answer"/> its whole answer.</summary>
public sealed class ReplicacheCommandException(string message, string clientError, JsonElement answer) : InvalidOperationException(message)
{
    public string ClientError { get; } = clientError;

    public JsonElement Answer { get; } = answer;
}

/// <summary>The end of a sync: <see cref="Synced"/> when nothing is pending and the last pull was taken, otherwise
/// <see cref="Error"/> says why it timed out. <see cref="Errors"/> are the failures logged while it ran (a sync that
/// succeeded after a server restart lists the failures before it), <see cref="ErrorCount"/> how many there were (more
/// than <see cref="Errors"/> holds when the client's log dropped the oldest).</summary>
public sealed record ReplicacheSyncResult(bool Synced, int Pending, int Rounds, bool Online, IReadOnlyList<string> Errors, int ErrorCount, string? Error);

/// <summary>A local mutation the server has not confirmed yet.</summary>
public sealed record ReplicachePendingMutation(string ClientId, long Id, string Name);
