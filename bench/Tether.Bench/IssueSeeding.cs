using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench;

/// <summary>Fills a server with one team, one project and <c>rows</c> issues, all visible to the user of
/// <c>http</c>'s token, pushed in batches of 1,000 mutations.</summary>
internal static class IssueSeeding
{
    /// <summary>The records the user then holds: team, membership, project and the issues.</summary>
    public static int RecordCount(int rows) => rows + 3;

    public static async Task SeedAsync(HttpClient http, int rows)
    {
        await PushLoad.PushAsync(http, "seed", 1, "createTeam", new JsonObject { ["id"] = "t", ["name"] = "Bench" });
        await PushLoad.PushAsync(http, "seed", 2, "createProject", new JsonObject { ["id"] = "p", ["teamId"] = "t", ["name"] = "Bench" });
        const int perPush = 1_000;
        for (int first = 0; first < rows; first += perPush)
        {
            var mutations = new JsonArray();
            for (int i = first; i < Math.Min(rows, first + perPush); i++)
            {
                mutations.Add(new JsonObject
                {
                    ["id"] = 3 + i,
                    ["name"] = "createIssue",
                    ["args"] = new JsonObject { ["id"] = $"i{i}", ["projectId"] = "p", ["title"] = $"Issue number {i}", ["description"] = "A description of moderate length, as issues have." },
                });
            }
            using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = "seed", ["mutations"] = mutations });
            response.EnsureSuccessStatusCode();
        }
    }
}
