// The issue tracker from the console: a local copy that syncs and works offline. Run the server first
// (dotnet run --project samples/IssueTracker/IssueTracker.Server), then:
// dotnet run --project samples/IssueTracker/IssueTracker.Console -- alice
using IssueTracker;
using IssueTracker.Console;
using Tether.Client;
using Tether.Client.Sqlite;

string user = args.Length > 0 ? args[0] : "alice";
await using TetherClient client = await TetherClient.StartAsync(new TetherClientOptions
{
    ServerUrl = new Uri("http://localhost:5080/sync/"),
    UserId = user,
    TokenProvider = _ => ValueTask.FromResult("dev:" + user),         // development tokens; a JWT in production
    Mutators = IssueTrackerMutators.All,                              // the same mutators the server runs
    Store = await SqliteLocalStore.OpenAsync($"./data/{user}.db"),    // survives restarts, works offline
});
using ILiveQuery<Issue> open = client.Query("issue", ConsoleJson.Default.Issue).Where(i => i.Status != "done").OrderBy(i => i.Title);
open.Changed += (_, _) => Console.WriteLine($"{open.Current.Count} open issues: {string.Join(", ", open.Current.Select(i => i.Title))}");

string team = $"{user}-team";
if (client.Get("team", team, ConsoleJson.Default.Team) is null)   // local read: instant, also offline
{
    await client.MutateAsync("createTeam", new TeamArgs(team, $"{user}'s team"), ConsoleJson.Default.TeamArgs);
    await client.MutateAsync("createProject", new ProjectArgs($"{team}-p", team, "Launch"), ConsoleJson.Default.ProjectArgs);
}
MutationHandle issue = await client.MutateAsync("createIssue", new IssueArgs(Guid.NewGuid().ToString("N"), $"{team}-p", "Ship it"), ConsoleJson.Default.IssueArgs);
Console.WriteLine($"Shown at once; confirmed by the server at syncId {await issue.Confirmed}. Status: {client.Status}.");
