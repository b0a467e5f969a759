using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench;

/// <summary>Fills a server with one team, <c>projects</c> projects and <c>rows</c> issues spread over them in equal,
/// consecutive blocks, all visible to the user of <c>http</c>'s token, pushed in batches of 1,000 mutations.</summary>
internal static class IssueSeeding
{
    /// <summary>The records the user then holds: team, membership, projects and the issues.</summary>
    public static int RecordCount(int rows, int projects = 1) => rows + 2 + projects;

    /// <summary>The id of project <paramref name="index"/> (of <paramref name="projects"/>).</summary>
    public static string ProjectId(int index, int projects) => projects == 1 ? "p" : $"p{index}";

    /// <summary>The id of issue <paramref name="index"/>; issues <c>[k·rows/projects, (k+1)·rows/projects)</c> are in project k.</summary>
    public static string IssueId(int index) => $"i{index}";

    public static async Task SeedAsync(HttpClient http, int rows, int projects = 1)
    {
        await PushLoad.PushAsync(http, "seed", 1, "createTeam", new JsonObject { ["id"] = "t", ["name"] = "Bench" });
        for (int p = 0; p < projects; p++)
        {
            string name = projects == 1 ? "Bench" : $"Bench {p:D3}";
            await PushLoad.PushAsync(http, "seed", 2 + p, "createProject", new JsonObject { ["id"] = ProjectId(p, projects), ["teamId"] = "t", ["name"] = name });
        }
        long firstIssueMutation = 2 + projects;
        const int perPush = 1_000;
        for (int first = 0; first < rows; first += perPush)
        {
            var mutations = new JsonArray();
            for (int i = first; i < Math.Min(rows, first + perPush); i++)
            {
                mutations.Add(new JsonObject
                {
                    ["id"] = firstIssueMutation + i,
                    ["name"] = "createIssue",
                    ["args"] = new JsonObject
                    {
                        ["id"] = IssueId(i),
                        ["projectId"] = ProjectId((int)((long)i * projects / rows), projects),
                        ["title"] = $"Issue number {i}",
                        ["description"] = "A description of moderate length, as issues have.",
                    },
                });
            }
            using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = "seed", ["mutations"] = mutations });
            response.EnsureSuccessStatusCode();
        }
    }
}
