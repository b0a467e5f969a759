using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Tether.Client.Internal;
using Tether.Client.Sqlite;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>Thrown by test hooks to simulate the process dying at a point: nothing after it runs.</summary>
internal sealed class SimulatedCrashException(string point) : Exception("Simulated crash at " + point);

/// <summary>What the server holds, compared with what a client holds.</summary>
internal static class ServerTruth
{
    /// <summary>The server's head as this user sees it (delta's lastSyncId covers filtered-out actions too).</summary>
    public static async Task<long> HeadAsync(SyncApi api)
    {
        long from = 0;
        while (true)
        {
            JsonElement page = await api.DeltaAsync(from);
            from = page.GetProperty("lastSyncId").GetInt64();
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                return from;
            }
        }
    }

    /// <summary>The client's confirmed records equal an eager bootstrap of the same user, record by record.</summary>
    public static async Task AssertConfirmedEqualsServerAsync(TetherClient client, SyncApi api)
    {
        BootstrapResult server = await api.BootstrapAsync(new { type = "eager" });
        IReadOnlyDictionary<(string Model, string Id), JsonElement> local = client.ConfirmedSnapshot();
        string[] missing = [.. server.Rows.Keys.Where(k => !local.ContainsKey(k)).Select(k => $"{k.Model}/{k.Id}")];
        string[] extra = [.. local.Keys.Where(k => !server.Rows.ContainsKey(k)).Select(k => $"{k.Model}/{k.Id}")];
        string[] differing = [.. server.Rows.Where(r => local.TryGetValue(r.Key, out JsonElement mine) && !JsonElement.DeepEquals(mine, r.Value)).Select(r => $"{r.Key.Model}/{r.Key.Id}")];
        Assert.True(missing.Length == 0 && extra.Length == 0 && differing.Length == 0,
            $"{api.UserId}'s client differs from the server: missing [{string.Join(", ", missing)}], extra [{string.Join(", ", extra)}], differing [{string.Join(", ", differing)}]");
    }

    public static string? ModelId(JsonElement action) => action.GetProperty("modelId").GetString();

    public static string? Kind(JsonElement action) => action.GetProperty("action").GetString();

    public static string? Title(JsonElement action)
        => action.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("title", out JsonElement title) ? title.GetString() : null;

    /// <summary>What is stored in a client's SQLite file (the client using it must be disposed).</summary>
    public static async Task<LocalSnapshot> ReadFileAsync(string file)
    {
        await using SqliteLocalStore store = await SqliteLocalStore.OpenAsync(file);
        return await store.LoadAsync(CancellationToken.None);
    }
}

/// <summary>A SQLite store whose next write matching <see cref="CrashWhen"/> runs in full inside its transaction and
/// then dies right before the commit (the store's "before-commit" fault point), so nothing of it is kept.</summary>
internal sealed class CrashBeforeCommitStore(SqliteLocalStore inner) : ILocalStore
{
    private volatile Func<LocalWrite, bool>? _crashWhen;

    public Func<LocalWrite, bool>? CrashWhen { set => _crashWhen = value; }

    public ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

    public ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken)
    {
        if (_crashWhen is { } crashWhen && crashWhen(write))
        {
            _crashWhen = null;
            inner.FaultPoint = point =>
            {
                if (point == "before-commit")
                {
                    inner.FaultPoint = null;
                    throw new SimulatedCrashException("store " + point);
                }
            };
        }
        return inner.WriteAsync(write, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Sees every push answer; when <see cref="SwallowNextAnswer"/> is set, the next push reaches the server
/// (which commits it) but its answer never reaches the client: the request hangs until the client is stopped, as if
/// the process died while the answer was on its way.</summary>
internal sealed class PushInterceptor() : DelegatingHandler(new SocketsHttpHandler())
{
    private volatile bool _swallow;

    public bool SwallowNextAnswer { set => _swallow = value; }

    /// <summary>Completes with the answer the server gave to the swallowed push.</summary>
    public TaskCompletionSource<JsonElement> Swallowed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every push answer that reached the client, in order.</summary>
    public ConcurrentQueue<JsonElement> Answers { get; } = new();

    /// <summary>Signalled after each answer handed to the client.</summary>
    public event Action<JsonElement>? AnswerDelivered;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        bool push = request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/push", StringComparison.Ordinal);
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (!push)
        {
            return response;
        }
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement answer = JsonDocument.Parse(body).RootElement.Clone();
        if (_swallow && response.IsSuccessStatusCode)
        {
            _swallow = false;
            response.Dispose();
            Swallowed.TrySetResult(answer);
            // The process is gone: the answer is never read.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        var delivered = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request };
        foreach (var header in response.Headers)
        {
            delivered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        response.Dispose();
        Answers.Enqueue(answer);
        AnswerDelivered?.Invoke(answer);
        return delivered;
    }

    /// <summary>The result the server gave for mutation <paramref name="id"/> in any delivered answer.</summary>
    public IEnumerable<string?> StatusesOf(long id)
        => Answers.SelectMany(a => a.TryGetProperty("results", out JsonElement results) ? results.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Where(r => r.GetProperty("id").GetInt64() == id)
            .Select(r => r.GetProperty("status").GetString());
}

/// <summary>A live channel whose frames stop reaching the client once <see cref="Frozen"/> is set (a frame being
/// received is then held for ever, as in a process that died after reading it), and that delivers nothing before
/// <paramref name="open"/> completes.</summary>
internal sealed class HeldLiveChannel(ILiveChannel inner, Task open, Func<bool> frozen) : ILiveChannel
{
    public async ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        await open.WaitAsync(cancellationToken);
        JsonElement? frame = await inner.ReceiveAsync(cancellationToken);
        if (frozen())
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return frame;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
