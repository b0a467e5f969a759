using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A client with a persistent queue, over raw HTTP: it pushes <c>createIssue</c> mutations numbered 1 to
/// <see cref="Count"/> in batches of one to three, and sends a batch that got no answer (the node died, the push
/// failed, or a 503) again with the same ids, to whichever node <see cref="Target"/> names then, until it is answered.
/// </summary>
internal sealed class Pusher(string name, string projectId, int count, Func<Uri> target)
{
    private readonly ConcurrentDictionary<long, string> _answers = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly Random _random = new(name.GetHashCode(StringComparison.Ordinal));
    private long _answeredThrough;

    public string ClientId => "client-" + name;
    public int Count => count;
    public Func<Uri> Target { get; set; } = target;
    public int Retries { get; private set; }

    /// <summary>The status each mutation id was last answered with.</summary>
    public IReadOnlyDictionary<long, string> Answers => _answers;

    public IReadOnlyCollection<string> Problems => _problems;

    /// <summary>The highest mutation id answered so far.</summary>
    public long AnsweredThrough => Interlocked.Read(ref _answeredThrough);

    public string IssueId(long mutationId) => $"issue-{name}-{mutationId}";

    /// <summary>Runs every pusher to the end; fails the test, saying how far each got, when that takes longer than
    /// <paramref name="bound"/>.</summary>
    public static async Task RunAllAsync(IReadOnlyList<Pusher> pushers, TimeSpan bound, Func<string>? context = null)
    {
        using var stop = new CancellationTokenSource();
        Task pushing = Task.WhenAll(pushers.Select(p => Task.Run(() => p.RunAsync(stop.Token))));
        try
        {
            await pushing.WaitAsync(bound, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            await stop.CancelAsync();
            Assert.Fail($"The pushers did not finish within {bound}: "
                + string.Join(", ", pushers.Select(p => $"{p.ClientId} answered through #{p.AnsweredThrough} of {p.Count}"))
                + (context is null ? "" : "\n" + context()));
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        long next = 1;
        while (next <= count)
        {
            long last = Math.Min(count, next + _random.Next(0, 3));
            JsonObject[] batch = [.. Enumerable.Range((int)next, (int)(last - next + 1)).Select(id => SyncApi.M(id, "createIssue", new { id = IssueId(id), projectId, title = "Issue " + id }))];
            while (!await TryPushAsync(batch, cancellationToken))
            {
                Retries++;
                await Task.Delay(50, cancellationToken);
            }
            Interlocked.Exchange(ref _answeredThrough, last);
            next = last + 1;
        }
    }

    private async Task<bool> TryPushAsync(JsonObject[] batch, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Target(), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:alice");
        try
        {
            using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push",
                new JsonObject { ["clientId"] = ClientId, ["mutations"] = new JsonArray([.. batch.Select(m => m.DeepClone())]) }, cancellationToken);
            string answer = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    _problems.Enqueue($"{ClientId}: a push answered {(int)response.StatusCode}: {answer}");
                }
                return false;
            }
            foreach (JsonElement result in JsonDocument.Parse(answer).RootElement.GetProperty("results").EnumerateArray())
            {
                _answers[result.GetProperty("id").GetInt64()] = result.GetProperty("status").GetString()!;
            }
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
