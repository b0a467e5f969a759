using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Harness;

/// <summary>
/// A client that pushes numbered mutations over raw HTTP (a team, a project, then <see cref="Issues"/> issues) in
/// batches, retrying a batch with the same ids until the server answers it, as a client with a persistent queue does
/// across a server crash. It records every answer per mutation id.
/// </summary>
internal sealed class CrashClient(Uri server, int index, int issues, Random random)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);
    private readonly List<string> _problems = [];

    public string UserId => $"crash-user-{index}";
    public string ClientId => $"crash-client-{index}";
    public string TeamId => $"ct{index}";
    public string ProjectId => $"cp{index}";
    public int Issues => issues;
    public int Total => 2 + issues;
    public Dictionary<long, string> Answers { get; } = [];
    public int Retries { get; private set; }
    public IReadOnlyList<string> Problems => _problems;

    public string IssueId(long mutationId) => $"ci-{index}-{mutationId}";

    public HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + UserId);
        return http;
    }

    private JsonObject Mutation(long id) => id switch
    {
        1 => SyncApi.M(id, "createTeam", new { id = TeamId, name = "Team " + TeamId }),
        2 => SyncApi.M(id, "createProject", new { id = ProjectId, teamId = TeamId, name = "Project " + ProjectId }),
        _ => SyncApi.M(id, "createIssue", new { id = IssueId(id), projectId = ProjectId, title = "Issue " + id }),
    };

    /// <summary>Pushes every mutation until each batch was answered; <paramref name="acknowledged"/> hears how many
    /// mutations each answer covered.</summary>
    public async Task RunAsync(Action<int> acknowledged)
    {
        using HttpClient http = Http();
        long next = 1;
        while (next <= Total)
        {
            long last = Math.Min(Total, next + random.Next(0, 5));
            var body = new JsonObject
            {
                ["clientId"] = ClientId,
                ["mutations"] = new JsonArray([.. Enumerable.Range((int)next, (int)(last - next + 1)).Select(id => (JsonNode)Mutation(id))]),
            };
            while (!await TryPushAsync(http, body.ToJsonString(), acknowledged))
            {
                Retries++;
                await Task.Delay(RetryDelay);
            }
            next = last + 1;
        }
    }

    /// <summary>False when the batch must be sent again: no answer (the server is down or died mid-request) or a
    /// 503. Any other answer but 200 is recorded as a problem and the batch retried, so the run still ends.</summary>
    private async Task<bool> TryPushAsync(HttpClient http, string body, Action<int> acknowledged)
    {
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await http.PostAsync("/sync/push", content);
            string answer = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    _problems.Add($"{ClientId}: a push answered {(int)response.StatusCode}: {answer}");
                }
                return false;
            }
            JsonElement results = JsonDocument.Parse(answer).RootElement.GetProperty("results");
            foreach (JsonElement result in results.EnumerateArray())
            {
                Answers[result.GetProperty("id").GetInt64()] = result.GetProperty("status").GetString()!;
            }
            acknowledged(results.GetArrayLength());
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return false;
        }
    }
}
