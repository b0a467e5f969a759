using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench.EfApp;

/// <summary>What the bench app's clients send: <c>createIssue</c> pushes and the app's own <c>POST /api/issues</c>,
/// with the same issue in both.</summary>
internal static class BenchRequests
{
    private static readonly DateTimeOffset CreatedAt = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The issue <paramref name="id"/>: a title and a 50-character description, as the other scenarios' issues.</summary>
    public static CreateIssueArgs Issue(string id, long number)
        => new(id, BenchModels.TeamId, $"Issue number {number}", null, "A description of moderate length, as issues have.", CreatedAt);

    /// <summary>One durable push of one <c>createIssue</c>; throws unless it is applied.</summary>
    public static Task PushIssueAsync(HttpClient http, string clientId, long mutationId, CreateIssueArgs issue)
        => PushLoad.PushAsync(http, clientId, mutationId, "createIssue", Args(issue));

    /// <summary>One push of a <c>createIssue</c> for each of <paramref name="issues"/>, mutation ids from
    /// <paramref name="firstMutationId"/>; throws unless it succeeds.</summary>
    public static async Task PushIssuesAsync(HttpClient http, string clientId, long firstMutationId, IEnumerable<CreateIssueArgs> issues)
    {
        var mutations = new JsonArray();
        long id = firstMutationId;
        foreach (CreateIssueArgs issue in issues)
        {
            mutations.Add(new JsonObject { ["id"] = id++, ["name"] = "createIssue", ["args"] = Args(issue) });
        }
        using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = clientId, ["mutations"] = mutations });
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || text.Contains("\"rejected\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"push {clientId}#{firstMutationId} failed: {(int)response.StatusCode} {text}");
        }
    }

    /// <summary>One insert through the app's own endpoint (EF Core SaveChanges, no mutator); throws unless it is 204.</summary>
    public static async Task PostIssueAsync(HttpClient http, CreateIssueArgs issue)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync("/api/issues", issue, BenchJson.Default.CreateIssueArgs);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"POST /api/issues {issue.Id} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static JsonObject Args(CreateIssueArgs issue) => JsonSerializer.SerializeToNode(issue, BenchJson.Default.CreateIssueArgs)!.AsObject();
}
